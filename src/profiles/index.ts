import { usageError } from '../errors.js';
import { parseSet } from './set-path.js';
import { resolveProfile, missingRequirements } from './resolve.js';
import type { Profile } from './schema.js';
import type { ProfileInputOptions } from '../cli/profile-input.js';

/** Flags -> validated profile, with required settings enforced when `enforceRequires`. */
export function profileFromOptions(options: ProfileInputOptions, enforceRequires = true): Profile {
  const profile = resolveProfile({
    profile: options.profile ?? 'default',
    overlays: options.filename ?? [],
    sets: (options.set ?? []).map(parseSet),
  });
  if (enforceRequires) {
    const missing = missingRequirements(profile)[0];
    if (missing)
      throw usageError(`profile ${profile.name} needs ${missing.path}: ${missing.why}`, `pass ${missing.flag}`);
  }
  return profile;
}
