import type { V1DaemonSet, V1Deployment, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { Informer } from '../adapters/informer.js';
import type { KubeGateway } from '../adapters/kube.js';
import { CliError, ExitCode } from '../errors.js';
import { formatWorkload, type WorkloadRef } from '../render/workloads.js';
import { daemonSetStatus, deploymentStatus, podProblem, podsOfSelector, statefulSetStatus } from '../verify/workload-status.js';

export interface NotReady {
  workload: string;
  status: string;
  pods: Array<{ name: string; problem: string }>;
}

export interface RolloutResult {
  ready: boolean;
  notReady: NotReady[];
  elapsedMs: number;
}

interface NamespaceWatch {
  deployments: Informer<V1Deployment & { metadata: { name: string } }>;
  daemonSets: Informer<V1DaemonSet & { metadata: { name: string } }>;
  /** Only watched where a StatefulSet is waited for (addons), so an install opens no extra watch. */
  statefulSets?: Informer<V1StatefulSet & { metadata: { name: string } }>;
  pods: Informer<V1Pod & { metadata: { name: string } }>;
}

function lookup(
  w: WorkloadRef,
  watch: NamespaceWatch,
): { obj?: V1Deployment | V1DaemonSet | V1StatefulSet; status?: string; ready: boolean } {
  const key = `${w.namespace}/${w.name}`;
  if (w.kind === 'Deployment') {
    const obj = watch.deployments.items.get(key);
    return obj ? { obj, ...statusOf(deploymentStatus(obj)) } : { ready: false };
  }
  if (w.kind === 'DaemonSet') {
    const obj = watch.daemonSets.items.get(key);
    return obj ? { obj, ...statusOf(daemonSetStatus(obj)) } : { ready: false };
  }
  const obj = watch.statefulSets?.items.get(key);
  return obj ? { obj, ...statusOf(statefulSetStatus(obj)) } : { ready: false };
}
const statusOf = (s: { ready: boolean; summary: string }) => ({ ready: s.ready, status: s.summary });

/** Where each workload stands now, from the informers' copies (pure apart from reading them). */
export function assess(workloads: WorkloadRef[], byNamespace: Map<string, NamespaceWatch>): NotReady[] {
  const out: NotReady[] = [];
  for (const w of workloads) {
    const watch = byNamespace.get(w.namespace)!;
    const { obj, status, ready } = lookup(w, watch);
    if (!obj) {
      out.push({ workload: formatWorkload(w), status: 'not found', pods: [] });
      continue;
    }
    const pods = podsOfSelector(obj.spec?.selector?.matchLabels, watch.pods.items.values(), w.namespace)
      .map((p) => ({ name: p.metadata!.name!, problem: podProblem(p) }))
      .filter((p): p is { name: string; problem: string } => p.problem !== undefined);
    if (!ready || pods.length) out.push({ workload: formatWorkload(w), status: status ?? '', pods });
  }
  return out;
}

/** A rollout's workloads and pods under watch; `until` judges them (see watchRollout). */
export interface RolloutWatch {
  /** Waits until every workload has rolled out and its pods are Ready, or `timeoutSeconds` pass. */
  until(timeoutSeconds: number): Promise<RolloutResult>;
  stop(): void;
}

/**
 * Lists and watches the workloads' namespaces from now on, so that a wait started later (once
 * istioctl or helm has applied them) judges a copy that is already current instead of listing
 * then: the API server answers a list right after a write only once its cache has caught up
 * with etcd (70-85 ms for istiod's Deployment on the testbed).
 */
export function watchRollout(kube: KubeGateway, workloads: WorkloadRef[], watchSeconds: number): RolloutWatch {
  const byNamespace = new Map<string, NamespaceWatch>();
  for (const ns of new Set(workloads.map((w) => w.namespace))) {
    byNamespace.set(ns, {
      deployments: new Informer(kube, `/apis/apps/v1/namespaces/${ns}/deployments`),
      daemonSets: new Informer(kube, `/apis/apps/v1/namespaces/${ns}/daemonsets`),
      ...(workloads.some((w) => w.kind === 'StatefulSet' && w.namespace === ns)
        ? { statefulSets: new Informer(kube, `/apis/apps/v1/namespaces/${ns}/statefulsets`) }
        : {}),
      pods: new Informer(kube, `/api/v1/namespaces/${ns}/pods`),
    });
  }
  const informers = [...byNamespace.values()].flatMap((w) => [
    w.deployments,
    w.daemonSets,
    ...(w.statefulSets ? [w.statefulSets] : []),
    w.pods,
  ]);
  // Events before `until` has a judge have nothing to wake; the copy is kept all the same.
  let onChange = () => {};
  const listed = Promise.all(informers.map((i) => i.start(() => onChange(), watchSeconds)));
  listed.catch(() => undefined); // reported by `until`, never as an unhandled rejection
  const stop = () => informers.forEach((i) => i.stop());
  return {
    stop,
    async until(timeoutSeconds) {
      const started = Date.now();
      let finish!: () => void;
      const done = new Promise<void>((resolve) => (finish = resolve));
      // Ready is declared only from a current view: not while a watch is riding out an outage.
      const check = () => {
        if (informers.some((i) => i.failed)) return finish();
        if (informers.some((i) => i.lost)) return;
        if (!assess(workloads, byNamespace).length) finish();
      };
      const timer = setTimeout(finish, timeoutSeconds * 1000);
      try {
        await listed;
        onChange = check;
        check();
        await done;
      } finally {
        clearTimeout(timer);
        onChange = () => {};
      }
      const failed = informers.find((i) => i.failed)?.failed;
      if (failed) throw failed;
      const lost = informers.find((i) => i.lost)?.lost;
      if (lost)
        throw new CliError(
          `lost the API server during the wait (for the last ${Math.round((Date.now() - lost.since) / 1000)}s): ${lost.error.message}`,
          ExitCode.unreachable,
          'nothing was judged from a stale view: re-run the same command once the cluster answers (it converges)',
        );
      const notReady = assess(workloads, byNamespace);
      return { ready: notReady.length === 0, notReady, elapsedMs: Date.now() - started };
    },
  };
}

/**
 * Waits, with watches and no polling, until every workload has rolled out and its pods are
 * Ready, or the timeout passes; then names each pod that is not Ready and why.
 */
export async function waitForRollout(kube: KubeGateway, workloads: WorkloadRef[], timeoutSeconds: number): Promise<RolloutResult> {
  const watch = watchRollout(kube, workloads, timeoutSeconds);
  try {
    return await watch.until(timeoutSeconds);
  } finally {
    watch.stop();
  }
}

/** One line for what is not ready: each workload, its state, and each pod's reason. */
export const describeNotReady = (notReady: NotReady[]): string =>
  notReady
    .map((n) => `${n.workload} ${n.status}${n.pods.length ? ` (${n.pods.map((p) => `pod ${p.name} ${p.problem}`).join('; ')})` : ''}`)
    .join('; ');
