import type { V1Container, V1DaemonSet, V1Deployment } from '@kubernetes/client-node';
import type { Facts, Verdict } from '../types.js';
import { versionOfImage } from '../../istio/versions.js';

/** Every hint ends with where README explains the check. */
export const docs = (id: string) => `see README#${id}`;

export const ok = (message: string, objects?: string[]): Verdict => ({ status: 'ok', message, ...(objects?.length ? { objects } : {}) });
export const skip = (message: string): Verdict => ({ status: 'skip', message });
export const warn = (message: string, hint: string, objects?: string[]): Verdict => ({
  status: 'warn',
  message,
  hint,
  ...(objects?.length ? { objects } : {}),
});
export const fail = (message: string, hint: string, objects?: string[]): Verdict => ({
  status: 'fail',
  message,
  hint,
  ...(objects?.length ? { objects } : {}),
});

export const istiodDeployments = (facts: Facts): V1Deployment[] =>
  facts.deployments.items.filter((d) => d.metadata?.labels?.app === 'istiod' || /^istiod(-|$)/.test(d.metadata?.name ?? ''));

/**
 * The istiod this verify is about: the recorded revision's when there is a record (other
 * revisions running beside it are other control planes), else every istiod found.
 */
export const recordedIstiods = (facts: Facts): V1Deployment[] => {
  const record = facts.record.value;
  const all = istiodDeployments(facts);
  if (!record) return all;
  const revision = record.revision || 'default';
  return all.filter((d) => (d.metadata?.labels?.['istio.io/rev'] ?? 'default') === revision);
};

export const discoveryContainer = (d: V1Deployment): V1Container | undefined =>
  d.spec?.template?.spec?.containers?.find((c) => c.name === 'discovery') ?? d.spec?.template?.spec?.containers?.[0];

/** The Istio version the running istiod's image names (its tag without the variant), if one was read. */
export function liveControlPlaneVersion(facts: Facts): string | undefined {
  const istiod = recordedIstiods(facts)[0];
  return istiod ? versionOfImage(discoveryContainer(istiod)?.image) : undefined;
}

/** The control plane's Istio version: istiod's image tag without its variant, else what the install record says. */
export function controlPlaneVersion(facts: Facts): string | undefined {
  return liveControlPlaneVersion(facts) ?? facts.record.value?.toolVersions.istioctl;
}

export type Workload = { kind: 'Deployment'; obj: V1Deployment } | { kind: 'DaemonSet'; obj: V1DaemonSet };

const ISTIO_DEPLOYMENT = (d: V1Deployment) =>
  d.metadata?.labels?.app === 'istiod' ||
  ['ingressgateway', 'egressgateway'].includes(d.metadata?.labels?.istio ?? '') ||
  /gateway/.test(d.metadata?.labels?.app ?? '');

/**
 * The control-plane workloads to judge: those the install record names (so a deleted one is
 * missing), else the Istio workloads found in the namespace. Workloads in a namespace that was
 * not read are neither present nor missing: `elsewhere`.
 */
export function controlPlaneWorkloads(facts: Facts): { present: Workload[]; missing: string[]; elsewhere: string[] } {
  const expected = facts.record.value?.workloads;
  const deployments = new Map(facts.deployments.items.map((d) => [`Deployment/${d.metadata?.namespace}/${d.metadata?.name}`, d]));
  const daemonSets = new Map(facts.daemonSets.items.map((d) => [`DaemonSet/${d.metadata?.namespace}/${d.metadata?.name}`, d]));
  if (expected) {
    const present: Workload[] = [];
    const missing: string[] = [];
    const elsewhere: string[] = [];
    for (const ref of expected) {
      const d = deployments.get(ref);
      const ds = daemonSets.get(ref);
      if (d) present.push({ kind: 'Deployment', obj: d });
      else if (ds) present.push({ kind: 'DaemonSet', obj: ds });
      else if (facts.workloadNamespaces.includes(ref.split('/')[1])) missing.push(ref);
      else elsewhere.push(ref);
    }
    return { present, missing, elsewhere };
  }
  return {
    present: [
      ...facts.deployments.items.filter(ISTIO_DEPLOYMENT).map((obj) => ({ kind: 'Deployment' as const, obj })),
      ...facts.daemonSets.items
        .filter((d) => ['istio-cni-node', 'ztunnel'].includes(d.metadata?.name ?? ''))
        .map((obj) => ({ kind: 'DaemonSet' as const, obj })),
    ],
    missing: [],
    elsewhere: [],
  };
}

export const ref = (w: Workload) => `${w.kind}/${w.obj.metadata?.namespace}/${w.obj.metadata?.name}`;
