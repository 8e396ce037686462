// What the top-level help shows of each of mesh's commands, read at build time for
// scripts/bundle.mjs to put into the bundle: reading them at start-up ran every command's
// register function (building its options) in every run, for the 13 commands a run does not use.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/**
 * src/cli/commands.ts's COMMANDS through src/cli/listed-commands.ts's listingOf, bundled with the
 * build's own options and plugins into a private temporary file and run once. Commands load their
 * actions with `await import()`, never called here, so those imports are left unresolved.
 */
export async function readCommandListings(root, options) {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-listings-'));
  try {
    const outfile = join(dir, 'listings.mjs');
    await build({
      ...options,
      stdin: {
        contents:
          "import { COMMANDS } from './src/cli/commands.ts';\n" +
          "import { listingOf } from './src/cli/listed-commands.ts';\n" +
          'export const listings = COMMANDS.map(listingOf);\n',
        resolveDir: root,
        loader: 'ts',
        sourcefile: 'command-listings.ts',
      },
      outfile,
      plugins: [...options.plugins, actionsUnresolved],
    });
    const { listings } = await import(pathToFileURL(outfile).href);
    if (!listings.length || listings.some((l) => !l.name || !l.description))
      throw new Error(`the build read no name or description for a command: ${JSON.stringify(listings)}`);
    return listings;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const actionsUnresolved = {
  name: 'actions-unresolved',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined));
  },
};
