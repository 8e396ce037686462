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

/**
 * The volume claims a StatefulSet made from its templates (`<template>-<statefulset>-<ordinal>`):
 * the install created them, Kubernetes keeps them when the StatefulSet goes, so the addon's
 * removal deletes them too (they hold the sample addon's data, e.g. loki's logs).
 */
async function claimPrefixes(kube: KubeGateway, remove: RecordedAddon[]): Promise<Array<{ namespace: string; prefixes: string[] }>> {
  const sets = remove.flatMap((a) => a.objects.filter((o) => o.kind === 'StatefulSet' && o.namespace));
  return Promise.all(
    sets.map(async (o) => {
      const sts = await kube.get<V1StatefulSet>(`/apis/apps/v1/namespaces/${o.namespace}/statefulsets/${o.name}`);
      const templates = (sts?.spec?.volumeClaimTemplates ?? []).map((t) => `${t.metadata?.name}-${o.name}-`);
      return { namespace: o.namespace!, prefixes: templates };
    }),
  );
}

/** The claims of those prefixes that exist now. */
async function claimsMatching(
  kube: KubeGateway,
  claims: Array<{ namespace: string; prefixes: string[] }>,
): Promise<Array<ObjectRef & { namespace: string }>> {
  const found: Array<ObjectRef & { namespace: string }> = [];
  for (const { namespace, prefixes } of claims.filter((c) => c.prefixes.length)) {
    const list = await kube.list<V1PersistentVolumeClaim>(`/api/v1/namespaces/${namespace}/persistentvolumeclaims`);
    for (const pvc of list.items) {
      const name = pvc.metadata?.name ?? '';
      if (prefixes.some((p) => name.startsWith(p) && /^\d+$/.test(name.slice(p.length))))
        found.push({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name });
    }
  }
  return found;
}

async function deleteClaims(kube: KubeGateway, claims: Array<{ namespace: string; prefixes: string[] }>): Promise<number> {
  let deleted = 0;
  for (const { namespace, name } of await claimsMatching(kube, claims))
    if (await kube.remove(`/api/v1/namespaces/${namespace}/persistentvolumeclaims/${name}`)) deleted++;
  return deleted;
}

/** What removing each addon would delete beyond its recorded objects: the volume claims its StatefulSets left (for --dry-run). */
export async function volumeClaimsOf(kube: KubeGateway, remove: RecordedAddon[]): Promise<Map<string, string[]>> {
  const byAddon = new Map<string, string[]>();
  for (const addon of remove) byAddon.set(addon.name, (await claimsMatching(kube, await claimPrefixes(kube, [addon]))).map(formatRef));
  return byAddon;
}
