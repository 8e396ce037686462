import { usageError } from '../errors.js';
import { getPath, inline, isTree, mergeFrom, type Tree } from './merge.js';
import { loadFile, loadRef, type Layer } from './load.js';
import { applySet, formatPath, type SetAssignment } from './set-path.js';
import { describeSchemaIssue, profileSchemas, type Profile, type Spec } from './schema.js';

/** Follows `extends:` to the root, returning the chain base first; a cycle is a usage error. */
export function loadChain(ref: string): Layer[] {
  const chain: Layer[] = [];
  const seen: string[] = [];
  let next: { ref: string; from?: string } | undefined = { ref };
  while (next) {
    const layer = loadRef(next.ref, next.from);
    if (seen.includes(layer.source))
      throw usageError(`profile ${ref}: extends cycle ${[...seen, layer.source].join(' -> ')}`, 'remove one of the extends: lines');
    seen.push(layer.source);
    chain.unshift(layer);
    next = layer.extends ? { ref: layer.extends, from: layer.source } : undefined;
  }
  return chain;
}

export interface ResolveInput {
  /** The mesh profile (built-in name or file); undefined when the user did not pass --profile. */
  profile?: string;
  overlays?: string[];
  sets?: SetAssignment[];
}

/**
 * Profile reference + overlays (-f, in order) + --set (in order) -> the user's intent, layered
 * with istioctl's own merge so the result means to istioctl what the separate files would.
 *
 * The Istio profile (`spec.profile`) is chosen as istioctl chooses it: the last layer that sets
 * it wins. With an explicit `--profile`, an overlay or `--set` that names a *different* Istio
 * profile is a usage error naming both: two profiles given is a mistake, not a preference.
 */
export function resolveProfile(input: ResolveInput): Profile {
  // Without --profile nothing of mesh's is layered in: istioctl's own default applies.
  const chain = input.profile === undefined ? [] : loadChain(input.profile);
  const overlays = (input.overlays ?? []).map((path) => {
    const layer = loadFile(path, 'overlay');
    if (layer.extends) throw usageError(`overlay ${path}: overlays cannot use extends:`, 'pass the base profile with --profile instead');
    return layer;
  });
  let doc: Tree = {};
  const layerDoc = (layer: Layer): Tree => ({
    ...(layer.metadata ? { metadata: layer.metadata } : {}),
    ...(layer.spec ? { spec: layer.spec } : {}),
  });
  for (const layer of chain) doc = mergeFrom(doc, layerDoc(layer));
  const chosenByProfile = getPath(doc, ['spec', 'profile']) ?? 'default';
  for (const layer of overlays) doc = mergeFrom(doc, layerDoc(layer));
  if (input.profile !== undefined) {
    for (const layer of overlays) {
      const named = layer.spec?.profile;
      if (named !== undefined && named !== chosenByProfile)
        throw usageError(
          `--profile ${input.profile} selects Istio profile ${inline(chosenByProfile)}, ` +
            `but overlay ${layer.label} sets spec.profile: ${inline(named)}`,
          "drop --profile to install the overlay's profile, or remove spec.profile from the overlay",
        );
    }
  }
  let spec = isTree(doc.spec) ? doc.spec : {};
  for (const assignment of input.sets ?? []) {
    spec = applySetToSpec(spec, assignment);
    if (
      input.profile !== undefined &&
      assignment.path.length === 1 &&
      assignment.path[0].kind === 'key' &&
      assignment.path[0].key === 'profile' &&
      spec.profile !== chosenByProfile
    )
      throw usageError(
        `--profile ${input.profile} selects Istio profile ${inline(chosenByProfile)}, but --set ${assignment.raw} names another`,
        'pass the profile once',
      );
  }
  // Shipped profiles alone layer to what their tests validate; anything of the user's is validated.
  const onlyShipped = chain.every((layer) => layer.shipped) && !overlays.length && !input.sets?.length;
  const validated = onlyShipped ? (spec as Spec) : validateSpec(spec, 'the layered profile');
  const root = chain.at(-1);
  const istioProfile = typeof validated.profile === 'string' && validated.profile ? validated.profile : 'default';
  const description = [...chain].reverse().find((layer) => layer.description !== undefined)?.description ?? '';
  return {
    name: root?.name ?? input.profile ?? istioProfile,
    description,
    istioProfile,
    requires: chain.flatMap((layer) => layer.requires ?? []),
    spec: validated,
    metadata: isTree(doc.metadata) ? doc.metadata : {},
    sources: [...chain, ...overlays].map((layer) => layer.source),
  };
}

/** The spec against Istio's IstioOperator schema; `what` names the input in the error. */
export function validateSpec(spec: Tree, what: string): Spec {
  const result = profileSchemas().spec.safeParse(spec);
  if (!result.success)
    throw usageError(`${what}: ${describeSchemaIssue(result.error, ['spec'])}`, 'see `mesh profile show default` for the fields');
  return result.data;
}

/** `--set` paths are relative to the spec, as in istioctl. */
export function applySetToSpec(spec: Tree, assignment: SetAssignment): Tree {
  const head = assignment.path[0];
  if (head?.kind === 'key' && head.key === 'spec')
    throw usageError(
      `--set ${assignment.raw}: paths are relative to the spec`,
      `drop the leading "spec.": --set ${assignment.raw.replace(/^\s*spec\./, '')}`,
    );
  const next = applySet(spec, assignment);
  const result = profileSchemas().spec.safeParse(next);
  if (!result.success) {
    throw usageError(
      `--set ${assignment.raw}: ${describeSchemaIssue(result.error)}`,
      `check the spelling of ${formatPath(assignment.path)}; see \`mesh profile show default\` for the fields`,
    );
  }
  return next;
}

/** Settings a profile requires (e.g. remote's primary address) that are still unset. */
export function missingRequirements(profile: Profile): Profile['requires'] {
  return profile.requires.filter((req) => {
    const value = getPath(profile.spec, req.path.replace(/^spec\./, '').split('.'));
    return value === undefined || value === null || value === '';
  });
}
