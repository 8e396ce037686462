import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, resolve, join, basename } from 'node:path';
import { parseDocument, isAlias, isMap, isScalar, isSeq, stringify, type Tags } from 'yaml';
import type * as z from 'zod/mini';
import { CliError, usageError } from '../errors.js';
import { inline, type Tree } from './merge.js';
import { describeSchemaIssue, profileSchemas, type ProfileFile } from './schema.js';
import { parsedAtBuild } from './parsed-at-build.js';
import { packageFile } from '../adapters/package-files.js';

/** Where built-in profile names are looked up: the shipped ones (<package>/profiles), or MESH_PROFILES_DIR's. */
export function builtinProfilesDir(): string {
  return process.env.MESH_PROFILES_DIR || packageFile('profiles');
}

export function listBuiltinProfiles(dir = builtinProfilesDir()): string[] {
  return readProfilesDir(dir)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => basename(file, '.yaml'))
    .sort();
}

/** The directory's files; MESH_PROFILES_DIR naming no readable directory is the user's to fix. */
function readProfilesDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    if (dir !== process.env.MESH_PROFILES_DIR) throw error; // the shipped profiles missing: a broken install
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : `cannot be read (${code})`;
    throw usageError(
      `MESH_PROFILES_DIR=${dir}: ${why}`,
      'point it at a directory of mesh profiles (<name>.yaml), or unset it for the profiles mesh ships',
    );
  }
}

/** A reference is a path when it looks like one; otherwise it names a built-in profile. */
export const isPathRef = (ref: string): boolean => /[\\/]/.test(ref) || /\.ya?ml$/.test(ref);

/**
 * One layer of the user's intent, whatever file shape it came in: a mesh profile (with a name,
 * extends and requirements) or an IstioOperator (metadata and spec). `spec.profile` carries the
 * Istio profile either way (a mesh profile's `istioProfile` is the same setting).
 */
export interface Layer {
  /** `builtin:<name>` or the absolute path, for messages and provenance. */
  source: string;
  /** The path or name as the user wrote it, for messages. */
  label: string;
  format: 'MeshProfile' | 'IstioOperator';
  name?: string;
  description?: string;
  extends?: string;
  requires?: ProfileFile['requires'];
  metadata?: Tree;
  spec?: Tree | null;
  /**
   * A profile shipped with mesh: its tests hold it valid against the schema (test/unit/profiles),
   * so it is not validated again on every run.
   */
  shipped?: true;
}

/**
 * istioctl reads YAML 1.1 (`yes`, `on`, `0777` are a boolean and a number there), so mesh reads
 * IstioOperator files the same way and writes what it hands istioctl so that 1.1 reads it back
 * unchanged; timestamps stay strings, as they reach istioctl's JSON as strings. mesh's own
 * profile format is plain YAML 1.2, where `name: y` is the letter y.
 */
const yaml11Tags = (tags: Tags): Tags => tags.filter((tag) => typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:timestamp');
export const YAML_OPTIONS = { version: '1.1', customTags: yaml11Tags } as const;
export const toYaml = (doc: unknown): string => stringify(doc, { ...YAML_OPTIONS, lineWidth: 0, aliasDuplicateObjects: false });

/** Parses a profile or overlay: YAML 1.1 for an IstioOperator (as istioctl), 1.2 for anything else. */
export function parseYamlFile(text: string, label: string, what: string): Tree {
  const asIstioctl = parseYamlText(text, label, what, YAML_OPTIONS);
  return isIstioOperator(asIstioctl) ? asIstioctl : parseYamlText(text, label, what, { version: '1.2' });
}

function parseYamlText(
  text: string,
  label: string,
  what: string,
  options: { version: '1.1' | '1.2'; customTags?: typeof yaml11Tags },
): Tree {
  const doc = parseDocument(text, { ...options, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    const at = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
    const why = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw usageError(`${what} ${label} is not valid YAML${at}: ${why}`, 'fix the YAML syntax and retry');
  }
  if (doc.contents === null) return {};
  if (!isMap(doc.contents)) throw usageError(`${what} ${label} must be a YAML mapping (key: value), not ${nodeKind(doc.contents)}`);
  try {
    return doc.toJS({ maxAliasCount: 100 }) as Tree;
  } catch (error) {
    // The yaml library stops alias expansion that would blow up ("billion laughs").
    throw usageError(`${what} ${label}: ${(error as Error).message}`, 'write the values out instead of nesting YAML aliases');
  }
}

/** Names a document's top node without converting it: an alias may point nowhere (`*x` alone). */
const nodeKind = (node: unknown): string =>
  isSeq(node)
    ? 'a list'
    : isAlias(node)
      ? 'an alias'
      : isScalar(node)
        ? `a ${node.value === null ? 'null' : typeof node.value}`
        : 'a mapping';

const isIstioOperator = (raw: Tree): boolean =>
  raw.kind === 'IstioOperator' || (typeof raw.apiVersion === 'string' && raw.apiVersion.startsWith('install.istio.io/'));

/** IstioOperator files and profiles are a few KiB; anything this big is a mistake or an attack. */
export const MAX_PROFILE_BYTES = 4 * 1024 * 1024;

/**
 * Reads a profile or overlay as UTF-8 text, refusing before reading anything that is not a small
 * regular text file: a directory, a FIFO (which would block forever), a huge or binary file.
 */
function readText(path: string, label: string, what: string): string {
  const refuse = (why: string, hint = 'check the path') => usageError(`cannot read ${what} ${label}: ${why}`, hint);
  let buffer: Buffer;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw refuse('it is a directory');
    if (!stat.isFile()) throw refuse('it is not a regular file (a FIFO, socket or device)');
    if (stat.size > MAX_PROFILE_BYTES)
      throw refuse(`it is ${(stat.size / 1024 / 1024).toFixed(1)} MiB; profiles and overlays are limited to 4 MiB`, 'pass the right file');
    buffer = readFileSync(path);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why: Record<string, string> = {
      ENOENT: 'no such file',
      ELOOP: 'a symlink loop',
      EACCES: 'permission denied',
      ENOTDIR: 'no such file',
    };
    throw refuse(why[code ?? ''] ?? code ?? String(error));
  }
  if (buffer.includes(0)) throw refuse('it is a binary file, not YAML', 'pass a YAML file');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    throw refuse('it is not UTF-8 text', 'save it as UTF-8');
  }
}

function check<T>(schema: z.ZodMiniType<T>, raw: unknown, label: string, what: string, prefix: string[] = []): T {
  const result = schema.safeParse(raw);
  if (!result.success)
    throw usageError(
      `${what} ${label}: ${describeSchemaIssue(result.error, prefix)}`,
      "see `mesh profile show default` and istioctl's IstioOperator reference for the fields",
    );
  return result.data;
}

/**
 * Validates a parsed file as a mesh profile or an IstioOperator and turns it into a layer; a
 * shipped profile is taken as its tests hold it.
 */
export function toLayer(raw: Tree, source: string, label: string, what: string, shipped = false): Layer {
  if (isIstioOperator(raw)) {
    if (!shipped) check(profileSchemas().istioOperator, raw, label, what);
    // istioctl ignores an empty `spec:` rather than letting it wipe the profile ("special hack").
    const spec = raw.spec === null || raw.spec === undefined ? undefined : (raw.spec as Tree);
    return {
      source,
      label,
      format: 'IstioOperator',
      ...(raw.metadata ? { metadata: raw.metadata as Tree } : {}),
      ...(spec ? { spec } : {}),
      ...(shipped ? { shipped } : {}),
    };
  }
  const file = shipped ? (raw as ProfileFile) : check(profileSchemas().profileFile, raw, label, what);
  const spec = raw.spec === null || raw.spec === undefined ? undefined : { ...(raw.spec as Tree) };
  if (file.istioProfile !== undefined) {
    if (spec?.profile !== undefined && spec.profile !== file.istioProfile)
      throw usageError(
        `${what} ${label}: istioProfile ${file.istioProfile} and spec.profile ${inline(spec.profile)} disagree`,
        'set the Istio profile once',
      );
  }
  const withProfile = file.istioProfile !== undefined ? { ...spec, profile: file.istioProfile } : spec;
  return {
    source,
    label,
    format: 'MeshProfile',
    ...(file.name ? { name: file.name } : {}),
    ...(file.description !== undefined ? { description: file.description } : {}),
    ...(file.extends ? { extends: file.extends } : {}),
    ...(file.requires ? { requires: file.requires } : {}),
    ...(withProfile ? { spec: withProfile } : {}),
    ...(shipped ? { shipped } : {}),
  };
}

export function loadFile(path: string, what: 'profile' | 'overlay', label = path, shipped = false): Layer {
  const text = readText(path, label, what);
  const raw = (shipped && parsedAtBuild(basename(path), text)) || parseYamlFile(text, label, what);
  return toLayer(raw, resolve(path), label, what, shipped);
}

/** A built-in profile by name; one from MESH_PROFILES_DIR is validated as any file is. */
export function loadBuiltin(name: string, dir = builtinProfilesDir()): Layer {
  const known = listBuiltinProfiles(dir);
  if (!known.includes(name))
    throw usageError(
      `unknown profile "${name}"`,
      `${known.length ? `valid profiles: ${known.join(', ')}` : `${dir} holds no <name>.yaml profiles`}; ` +
        'or pass a file: --profile ./my-profile.yaml',
    );
  const layer = loadFile(join(dir, `${name}.yaml`), 'profile', name, dir === packageFile('profiles'));
  return { ...layer, source: `builtin:${name}` };
}

/** Resolves a profile reference from the working directory or from the file that extends it. */
export function loadRef(ref: string, relativeTo?: string): Layer {
  if (!isPathRef(ref)) return loadBuiltin(ref);
  const path = relativeTo && !relativeTo.startsWith('builtin:') ? resolve(dirname(relativeTo), ref) : resolve(ref);
  return loadFile(path, 'profile', ref);
}
