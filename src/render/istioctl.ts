import { sortKeys, type Tree } from '../profiles/merge.js';
import type { Profile } from '../profiles/schema.js';

/**
 * Profile -> the IstioOperator document mesh hands `istioctl install -f`: the user's intent and
 * nothing else. `spec.profile` names Istio's own profile and istioctl applies it itself, with
 * its own merge, so a newer istioctl's defaults are picked up and nothing of Istio's is restated.
 */
export function renderIstioOperator(profile: Profile): Tree {
  const { name, ...metadata } = profile.metadata;
  return {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name: typeof name === 'string' && name ? name : `mesh-${profile.name}`, ...metadata },
    spec: sortKeys(profile.spec),
  };
}
