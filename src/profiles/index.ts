import { usageError } from '../errors.js';
import { getPath } from './merge.js';
import { parseSet } from './set-path.js';
import { applySetToSpec, resolveProfile, missingRequirements } from './resolve.js';
import type { Profile, Spec } from './schema.js';
import type { ProfileInputOptions } from '../cli/profile-input.js';

export interface ProfileContext {
  /** Enforce settings a profile requires (remote's primary address); `profile show` does not. */
  enforceRequires?: boolean;
  /** `-n` as the user passed it: the Istio namespace, rendered as values.global.istioNamespace. */
  istioNamespace?: string;
}

/** Flags -> validated profile: the user's intent, layered as istioctl layers it. */
export function profileFromOptions(options: ProfileInputOptions, context: ProfileContext = {}): Profile {
  const profile = resolveProfile({
    profile: options.profile,
    overlays: options.filename ?? [],
    sets: (options.set ?? []).map(parseSet),
  });
  if (context.enforceRequires ?? true) {
    const missing = missingRequirements(profile)[0];
    if (missing) throw usageError(`profile ${profile.name} needs ${missing.path}: ${missing.why}`, `pass ${missing.flag}`);
  }
  return context.istioNamespace === undefined ? profile : withIstioNamespace(profile, context.istioNamespace);
}

/** `-n ns` means `--set values.global.istioNamespace=ns`; a profile that names another namespace is a conflict. */
function withIstioNamespace(profile: Profile, namespace: string): Profile {
  const named = getPath(profile.spec, ['values', 'global', 'istioNamespace']);
  if (named === namespace) return profile;
  if (typeof named === 'string' && named)
    throw usageError(
      `-n ${namespace} conflicts with values.global.istioNamespace: ${named} in the profile`,
      'name the Istio namespace once',
    );
  const spec = applySetToSpec(profile.spec, parseSet(`values.global.istioNamespace=${namespace}`)) as Spec;
  return { ...profile, spec };
}
