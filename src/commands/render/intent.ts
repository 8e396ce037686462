import { checkNamespace, checkRevision, type GlobalOptions } from '../../cli/options.js';
import type { ProfileInputOptions } from '../../cli/profile-input.js';
import { profileFromOptions } from '../../profiles/index.js';
import type { Profile } from '../../profiles/schema.js';
import { applyExposure } from '../../render/exposure.js';
import { installContents, type InstallContents } from '../../render/workloads.js';

/** The user's intent (profile, overlays, --set, -n, exposure and CNI flags) and what installing it contains. */
export interface Intent {
  profile: Profile;
  contents: InstallContents;
}

/** Flags -> intent, shared by render and install so both see exactly the same thing. */
export function resolveIntent(globals: GlobalOptions, options: ProfileInputOptions, enforceRequires = true): Intent {
  const explicitNamespace = globals.istioNamespace === undefined ? undefined : checkNamespace(globals.istioNamespace, '--istio-namespace');
  const withRevision =
    options.revision === undefined ? options : { ...options, set: [...(options.set ?? []), `revision=${checkRevision(options.revision)}`] };
  const profile = applyExposure(profileFromOptions(withRevision, { enforceRequires, istioNamespace: explicitNamespace }), options);
  const contents = installContents(profile);
  checkNamespace(contents.istioNamespace, 'values.global.istioNamespace');
  for (const c of contents.components) checkNamespace(c.namespace, `components.${c.component}.namespace`);
  return { profile, contents };
}
