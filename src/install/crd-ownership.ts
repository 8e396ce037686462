import type { V1ObjectMeta } from '@kubernetes/client-node';

/**
 * Istio's CRDs and helm's ownership check. The base chart renders the CRDs as templates, so helm
 * refuses to install it over CRDs that name no release ("invalid ownership metadata": left by an
 * istioctl install, or a chart before 1.24; istio/istio#43204, #54172). Istio's migration steps
 * label and annotate them for the release; CRDs another release owns are that release's.
 */
export const CRDS_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

export interface HelmRelease {
  name: string;
  namespace: string;
}

export interface CrdOwnership {
  /** Istio CRDs no helm release owns: the base release adopts them. */
  orphans: string[];
  /** Istio CRDs another helm release owns: `name -> namespace/release`. */
  foreign: Array<{ name: string; owner: string }>;
}

const isIstioCrd = (name: string) => name.endsWith('.istio.io');

export function crdOwnership(crds: Array<{ metadata?: V1ObjectMeta }>, release: HelmRelease): CrdOwnership {
  const out: CrdOwnership = { orphans: [], foreign: [] };
  for (const { metadata } of crds) {
    const name = metadata?.name ?? '';
    if (!isIstioCrd(name)) continue;
    const owner = metadata?.annotations?.['meta.helm.sh/release-name'];
    const ownerNamespace = metadata?.annotations?.['meta.helm.sh/release-namespace'];
    if (!owner) out.orphans.push(name);
    else if (owner !== release.name || ownerNamespace !== release.namespace)
      out.foreign.push({ name, owner: `${ownerNamespace}/${owner}` });
    else if (metadata?.labels?.['app.kubernetes.io/managed-by'] !== 'Helm') out.orphans.push(name);
  }
  out.orphans.sort();
  return out;
}

/** The merge patch that makes a CRD the release's in helm's eyes (the labels and annotations helm checks). */
export const adoptionPatch = (release: HelmRelease) => ({
  metadata: {
    labels: { 'app.kubernetes.io/managed-by': 'Helm' },
    annotations: { 'meta.helm.sh/release-name': release.name, 'meta.helm.sh/release-namespace': release.namespace },
  },
});
