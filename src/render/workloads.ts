import type { Gateway, Profile } from '../profiles/schema.js';

/** A Kubernetes workload an install owns and waits for. */
export interface WorkloadRef {
  kind: 'Deployment' | 'DaemonSet';
  namespace: string;
  name: string;
}

export const formatWorkload = (w: WorkloadRef): string => `${w.kind}/${w.namespace}/${w.name}`;

export const enabledGateways = (profile: Profile): Array<Gateway & { type: 'ingress' | 'egress' }> => [
  ...(profile.spec.components?.ingressGateways ?? []).filter((g) => g.enabled).map((g) => ({ ...g, type: 'ingress' as const })),
  ...(profile.spec.components?.egressGateways ?? []).filter((g) => g.enabled).map((g) => ({ ...g, type: 'egress' as const })),
];

export const revisionOf = (profile: Profile): string => profile.spec.revision ?? '';

export const istiodName = (profile: Profile): string => (revisionOf(profile) ? `istiod-${revisionOf(profile)}` : 'istiod');

/** The Deployments and DaemonSets either backend creates for this profile, in install order. */
export function expectedWorkloads(profile: Profile, istioNamespace: string): WorkloadRef[] {
  const c = profile.spec.components ?? {};
  const out: WorkloadRef[] = [];
  // The remote profile renders webhooks pointing at the primary's istiod, not an istiod of its own.
  if (c.pilot?.enabled && profile.istioProfile !== 'remote')
    out.push({ kind: 'Deployment', namespace: c.pilot.namespace ?? istioNamespace, name: istiodName(profile) });
  if (c.cni?.enabled) out.push({ kind: 'DaemonSet', namespace: c.cni.namespace ?? istioNamespace, name: 'istio-cni-node' });
  if (c.ztunnel?.enabled) out.push({ kind: 'DaemonSet', namespace: c.ztunnel.namespace ?? istioNamespace, name: 'ztunnel' });
  for (const g of enabledGateways(profile)) out.push({ kind: 'Deployment', namespace: g.namespace ?? istioNamespace, name: g.name });
  return out;
}
