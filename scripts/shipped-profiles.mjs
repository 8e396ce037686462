// The shipped profiles (profiles/*.yaml) parsed at build time, for scripts/bundle.mjs to put into
// the bundle: parsing YAML is most of what reading a profile costs a command that starts cold.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { isMap, parseDocument } from 'yaml';

/**
 * Each shipped profile's text beside the tree mesh parses it into (YAML 1.2, duplicate keys
 * refused, as src/profiles/load.ts parses a mesh profile). mesh uses a tree only for a file whose
 * text is still exactly this, and a unit test holds each tree equal to what load.ts parses.
 * Fails, failing the build, for a profile that is not a plain mesh profile this can parse alone.
 */
export function parseShippedProfiles(dir) {
  const parsed = {};
  const files = readdirSync(dir).filter((file) => file.endsWith('.yaml'));
  for (const file of files.sort()) {
    const text = readFileSync(join(dir, file), 'utf8');
    const doc = parseDocument(text, { version: '1.2', uniqueKeys: true });
    const refuse = (why) => new Error(`profiles/${file}: ${why}; the build parses shipped profiles ahead of time`);
    if (doc.errors.length) throw refuse(`not valid YAML (${doc.errors[0].message.split('\n')[0]})`);
    if (!isMap(doc.contents)) throw refuse('not a YAML mapping');
    const tree = doc.toJS({ maxAliasCount: 100 });
    if (tree.kind !== 'MeshProfile') throw refuse(`kind ${tree.kind}, not MeshProfile (an IstioOperator is parsed as YAML 1.1)`);
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(tree)), tree)) throw refuse('holds values JSON cannot carry');
    parsed[file] = { text, tree };
  }
  return parsed;
}
