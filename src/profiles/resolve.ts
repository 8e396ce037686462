import { usageError } from '../errors.js';
import { deepMerge, type Tree } from './merge.js';
import { loadFile, loadRef, type LoadedFile } from './load.js';
import { applySet, formatPath, type SetAssignment } from './set-path.js';
import { SpecSchema, describeSchemaIssue, type Profile, type ProfileFile } from './schema.js';

/** Follows `extends:` to the root, returning the chain base first; a cycle is a usage error. */
export function loadChain(ref: string): LoadedFile[] {
  const chain: LoadedFile[] = [];
  const seen: string[] = [];
  let next: { ref: string; from?: string } | undefined = { ref };
  while (next) {
    const file = loadRef(next.ref, next.from);
    if (seen.includes(file.source))
      throw usageError(`profile ${ref}: extends cycle ${[...seen, file.source].join(' -> ')}`, 'remove one of the extends: lines');
    seen.push(file.source);
    chain.unshift(file);
    next = file.data.extends ? { ref: file.data.extends, from: file.source } : undefined;
  }
  return chain;
}

const LAYERED_KEYS = ['istioProfile', 'requires', 'spec'] as const;

/** Merges files (base first) into one profile tree; name/description come from the last that sets them. */
export function layer(files: ProfileFile[]): ProfileFile {
  let merged: Tree = {};
  for (const file of files) {
    const layerTree: Tree = {};
    for (const key of LAYERED_KEYS) if (file[key] !== undefined) layerTree[key] = file[key];
    if (file.name) layerTree.name = file.name;
    if (file.description) layerTree.description = file.description;
    merged = deepMerge(merged, layerTree);
  }
  return merged as ProfileFile;
}

export interface ResolveInput {
  profile: string;
  overlays?: string[];
  sets?: SetAssignment[];
}

/** Profile reference + overlays (-f, in order) + --set (in order) -> one validated Profile. */
export function resolveProfile(input: ResolveInput): Profile {
  const chain = loadChain(input.profile);
  const overlays = (input.overlays ?? []).map((path) => {
    const file = loadFile(path, 'overlay');
    if (file.data.extends) throw usageError(`overlay ${path}: overlays cannot use extends:`, `pass the base profile with --profile instead`);
    return file;
  });
  const merged = layer([...chain.map((f) => f.data), ...overlays.map((f) => ({ ...f.data, name: undefined, description: undefined }))]);
  let spec = (merged.spec ?? {}) as Tree;
  for (const assignment of input.sets ?? []) spec = applySetToSpec(spec, assignment);
  const root = chain.at(-1)!.data;
  return {
    name: root.name ?? input.profile,
    description: merged.description ?? '',
    istioProfile: merged.istioProfile ?? 'default',
    requires: merged.requires ?? [],
    spec: SpecSchema.parse(spec),
    sources: [...chain, ...overlays].map((f) => f.source),
  };
}

/** `--set` paths are relative to the spec, as in istioctl (a leading `spec.` is accepted too). */
export function applySetToSpec(spec: Tree, assignment: SetAssignment): Tree {
  let path = assignment.path;
  const head = path[0];
  if (head?.kind === 'key' && head.key === 'spec') path = path.slice(1);
  if (path[0]?.kind === 'key' && path[0].key === 'profile')
    throw usageError(`--set ${assignment.raw}: the profile is chosen with --profile`, `use --profile ${String(assignment.value)}`);
  const next = applySet(spec, { ...assignment, path });
  const result = SpecSchema.safeParse(next);
  if (!result.success) {
    throw usageError(
      `--set ${assignment.raw}: ${describeSchemaIssue(result.error)}`,
      `check the spelling of ${formatPath(path)}; see \`mesh profile show default\` for the fields`,
    );
  }
  return next;
}

/** Settings a profile requires (e.g. remote's primary address) that are still unset. */
export function missingRequirements(profile: Profile): Profile['requires'] {
  return profile.requires.filter((req) => lookup(profile.spec as Tree, req.path.replace(/^spec\./, '')) === undefined);
}

function lookup(tree: Tree, dotted: string): unknown {
  let node: unknown = tree;
  for (const key of dotted.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Tree)[key];
  }
  return node;
}
