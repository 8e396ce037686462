import { sortKeys, type Tree } from '../profiles/merge.js';
import type { Profile } from '../profiles/schema.js';

export interface RenderOptions {
  istioNamespace: string;
}

/**
 * Profile -> one IstioOperator document for `istioctl install -f`. `spec.profile` names Istio's
 * own profile so istioctl applies the same helm-profile settings the charts use (Istio >= 1.24);
 * everything mesh's profile sets is spelled out on top, so the file says what will be installed.
 */
export function renderIstioOperator(profile: Profile, options: RenderOptions): Tree {
  const values = (profile.spec.values ?? {}) as Tree;
  const global = { ...((values.global as Tree | undefined) ?? {}), istioNamespace: options.istioNamespace };
  return {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name: `mesh-${profile.name}`, namespace: options.istioNamespace },
    spec: sortKeys({ ...profile.spec, profile: profile.istioProfile, values: { ...values, global } }),
  };
}
