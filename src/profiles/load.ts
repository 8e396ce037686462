import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, resolve, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, isMap } from 'yaml';
import { usageError } from '../errors.js';
import { ProfileFileSchema, describeSchemaIssue, type ProfileFile } from './schema.js';

/** Built-in profiles ship as data in <package>/profiles: found from this module, bundled or not. */
export function builtinProfilesDir(): string {
  if (process.env.MESH_PROFILES_DIR) return process.env.MESH_PROFILES_DIR;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'profiles');
}

export function listBuiltinProfiles(dir = builtinProfilesDir()): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => basename(file, '.yaml'))
    .sort();
}

/** A reference is a path when it looks like one; otherwise it names a built-in profile. */
export const isPathRef = (ref: string): boolean => /[\\/]/.test(ref) || /\.ya?ml$/.test(ref);

export interface LoadedFile {
  /** `builtin:<name>` or the absolute path, for messages and provenance. */
  source: string;
  data: ProfileFile;
}

/** Parses YAML text into a plain object, naming the file, line and column of a syntax error. */
export function parseYamlFile(text: string, label: string, what: string): Record<string, unknown> {
  const doc = parseDocument(text, { uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    const at = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
    throw usageError(`${what} ${label} is not valid YAML${at}: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, 'fix the YAML syntax and retry');
  }
  if (doc.contents === null) return {};
  if (!isMap(doc.contents)) throw usageError(`${what} ${label} must be a YAML mapping (key: value), not a ${typeof doc.toJS()}`);
  return doc.toJS() as Record<string, unknown>;
}

function readText(path: string, label: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw usageError(`cannot read ${what} ${label}: ${code === 'ENOENT' ? 'no such file' : code ?? String(error)}`, 'check the path');
  }
}

/** An IstioOperator document (as pasted from istioctl guides) is accepted as an overlay of its spec. */
function fromIstioOperator(raw: Record<string, unknown>): Record<string, unknown> {
  const spec = { ...((raw.spec as Record<string, unknown> | undefined) ?? {}) };
  const istioProfile = spec.profile;
  delete spec.profile;
  return istioProfile === undefined ? { spec } : { istioProfile, spec };
}

export function validateProfileFile(raw: Record<string, unknown>, label: string, what: string): ProfileFile {
  const input = raw.kind === 'IstioOperator' ? fromIstioOperator(raw) : raw;
  const result = ProfileFileSchema.safeParse(input);
  if (!result.success)
    throw usageError(`${what} ${label}: ${describeSchemaIssue(result.error)}`, 'see `mesh profile show default` for the format');
  return result.data;
}

export function loadFile(path: string, what: 'profile' | 'overlay', label = path): LoadedFile {
  const raw = parseYamlFile(readText(path, label, what), label, what);
  return { source: resolve(path), data: validateProfileFile(raw, label, what) };
}

export function loadBuiltin(name: string, dir = builtinProfilesDir()): LoadedFile {
  const known = listBuiltinProfiles(dir);
  if (!known.includes(name))
    throw usageError(`unknown profile "${name}"`, `valid profiles: ${known.join(', ')}; or pass a file: --profile ./my-profile.yaml`);
  const file = loadFile(join(dir, `${name}.yaml`), 'profile', `${name}`);
  return { source: `builtin:${name}`, data: file.data };
}

/** Resolves a profile reference from the working directory or from the file that extends it. */
export function loadRef(ref: string, relativeTo?: string): LoadedFile {
  if (!isPathRef(ref)) return loadBuiltin(ref);
  const path = relativeTo && !relativeTo.startsWith('builtin:') ? resolve(dirname(relativeTo), ref) : resolve(ref);
  return loadFile(path, 'profile', ref);
}
