import type { V1Deployment, V1PersistentVolumeClaim, V1StatefulSet } from '@kubernetes/client-node';
import { Informer } from '../adapters/informer.js';
import type { KubeGateway } from '../adapters/kube.js';
import { deleteObject, ObjectPaths } from '../adapters/kube-objects.js';
import { CliError, ExitCode } from '../errors.js';
import { buildAddonsUninstallPlan, rolloutsOf } from '../plan/addons.js';
import type { RecordedAddon } from '../plan/record.js';
import { formatWorkload } from '../render/workloads.js';
import { formatRef, type ObjectRef } from './catalog.js';

/** Waits (watching) until the given Deployments/StatefulSets are gone, so "removed" means removed. */
async function waitGone(kube: KubeGateway, refs: Array<{ kind: string; namespace: string; name: string }>, timeoutSeconds: number) {
  const byPath = new Map<string, string[]>();
  for (const r of refs) {
    const path = `/apis/apps/v1/namespaces/${r.namespace}/${r.kind === 'StatefulSet' ? 'statefulsets' : 'deployments'}`;
    byPath.set(path, [...(byPath.get(path) ?? []), `${r.namespace}/${r.name}`]);
  }
  const informers = [...byPath.keys()].map((path) => ({
    informer: new Informer<V1Deployment & { metadata: { name: string } }>(kube, path),
    keys: byPath.get(path)!,
  }));
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const check = () => {
    if (informers.every(({ informer, keys }) => keys.every((k) => !informer.items.has(k)))) finish();
  };
  const timer = setTimeout(finish, timeoutSeconds * 1000);
  try {
    await Promise.all(informers.map(({ informer }) => informer.start(check, timeoutSeconds)));
    check();
    await done;
  } finally {
    clearTimeout(timer);
    informers.forEach(({ informer }) => informer.stop());
  }
  const left = informers.flatMap(({ informer, keys }) => keys.filter((k) => informer.items.has(k)));
  if (left.length)
    throw new CliError(
      `still there after ${timeoutSeconds}s: ${left.join(', ')}`,
      ExitCode.verifyFailed,
      'see what holds them: kubectl get -o yaml (finalizers)',
    );
}

/** Deletes the objects of recorded addons, then waits until their workloads are gone; returns how many it deleted. */
export async function removeAddonObjects(
  kube: KubeGateway,
  remove: RecordedAddon[],
  keep: RecordedAddon[],
  timeoutSeconds: number,
): Promise<number> {
  const paths = new ObjectPaths(kube);
  const plan = buildAddonsUninstallPlan({ remove, keep, istioNamespace: '' });
  const byRef = new Map(remove.flatMap((a) => a.objects.map((o) => [formatRef(o), o] as const)));
  const claims = await claimPrefixes(kube, remove);
  let deleted = 0;
  for (const addon of plan.addons)
    for (const ref of addon.objects) {
      const o = byRef.get(ref)!;
      if (await deleteObject(kube, paths, o)) deleted++;
    }
  const workloads = remove
    .flatMap((a) => rolloutsOf(a.objects))
    .filter((w) => !keep.some((k) => k.objects.some((o) => formatRef(o) === formatWorkload(w))));
  if (workloads.length) await waitGone(kube, workloads, timeoutSeconds);
  return deleted + (await deleteClaims(kube, claims));
}

/** The names of the volume claims one StatefulSet of an addon made: `<template>-<statefulset>-<ordinal>` for each prefix. */
interface ClaimPrefixes {
  addon: string;
  namespace: string;
  prefixes: string[];
}

/**
 * The volume claims a StatefulSet made from its templates (`<template>-<statefulset>-<ordinal>`):
 * the install created them, Kubernetes keeps them when the StatefulSet goes, so the addon's
 * removal deletes them too (they hold the sample addon's data, e.g. loki's logs).
 */
async function claimPrefixes(kube: KubeGateway, remove: RecordedAddon[]): Promise<ClaimPrefixes[]> {
  const sets = remove.flatMap((a) => a.objects.filter((o) => o.kind === 'StatefulSet' && o.namespace).map((o) => ({ addon: a.name, o })));
  return Promise.all(
    sets.map(async ({ addon, o }) => {
      const sts = await kube.get<V1StatefulSet>(`/apis/apps/v1/namespaces/${o.namespace}/statefulsets/${o.name}`);
      const templates = (sts?.spec?.volumeClaimTemplates ?? []).map((t) => `${t.metadata?.name}-${o.name}-`);
      return { addon, namespace: o.namespace!, prefixes: templates };
    }),
  );
}

type Claim = ObjectRef & { namespace: string };

/** The claims of those prefixes that exist now, each with its addon: one list per namespace, the namespaces at once. */
async function claimsMatching(kube: KubeGateway, claims: ClaimPrefixes[]): Promise<Array<{ addon: string; claim: Claim }>> {
  const namespaces = [...new Set(claims.filter((c) => c.prefixes.length).map((c) => c.namespace))];
  const lists = await Promise.all(
    namespaces.map((namespace) => kube.list<V1PersistentVolumeClaim>(`/api/v1/namespaces/${namespace}/persistentvolumeclaims`)),
  );
  return namespaces.flatMap((namespace, i) =>
    lists[i].items.flatMap((pvc) => {
      const name = pvc.metadata?.name ?? '';
      const owner = claims.find(
        (c) => c.namespace === namespace && c.prefixes.some((p) => name.startsWith(p) && /^\d+$/.test(name.slice(p.length))),
      );
      return owner ? [{ addon: owner.addon, claim: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name } }] : [];
    }),
  );
}

async function deleteClaims(kube: KubeGateway, claims: ClaimPrefixes[]): Promise<number> {
  let deleted = 0;
  for (const { claim } of await claimsMatching(kube, claims))
    if (await kube.remove(`/api/v1/namespaces/${claim.namespace}/persistentvolumeclaims/${claim.name}`)) deleted++;
  return deleted;
}

/** What removing each addon would delete beyond its recorded objects: the volume claims its StatefulSets left (for --dry-run). */
export async function volumeClaimsOf(kube: KubeGateway, remove: RecordedAddon[]): Promise<Map<string, string[]>> {
  const byAddon = new Map<string, string[]>(remove.map((a) => [a.name, []]));
  for (const { addon, claim } of await claimsMatching(kube, await claimPrefixes(kube, remove))) byAddon.get(addon)?.push(formatRef(claim));
  return byAddon;
}
