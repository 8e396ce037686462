import type { V1DaemonSet, V1Deployment, V1Pod, V1StatefulSet } from '@kubernetes/client-node';

/** Pure readiness rules shared by install's wait and verify's checks. */
export interface WorkloadStatus {
  ready: boolean;
  summary: string;
}

export function deploymentStatus(d: V1Deployment): WorkloadStatus {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const observed = (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
  const available = s.availableReplicas ?? 0;
  const updated = s.updatedReplicas ?? 0;
  // A control-plane Deployment scaled to zero serves nothing, however "complete" its rollout is.
  if (want === 0) return { ready: false, summary: 'scaled to 0 replicas' };
  const ready = observed && available >= want && updated >= want && (s.replicas ?? 0) <= want;
  const rolling = !observed || updated < want || (s.replicas ?? 0) > want ? ', rollout in progress' : '';
  return { ready, summary: `${available}/${want} available${rolling}` };
}

export function daemonSetStatus(ds: V1DaemonSet): WorkloadStatus {
  const s = ds.status;
  const desired = s?.desiredNumberScheduled ?? 0;
  const observed = (s?.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 0);
  const ready = observed && (s?.numberAvailable ?? 0) >= desired && (s?.updatedNumberScheduled ?? 0) >= desired && s !== undefined;
  return { ready, summary: `${s?.numberAvailable ?? 0}/${desired} available on nodes` };
}

export function statefulSetStatus(ss: V1StatefulSet): WorkloadStatus {
  const want = ss.spec?.replicas ?? 1;
  const s = ss.status;
  const observed = (s?.observedGeneration ?? 0) >= (ss.metadata?.generation ?? 0);
  const available = s?.availableReplicas ?? s?.readyReplicas ?? 0;
  const ready = s !== undefined && observed && available >= want && (s.updatedReplicas ?? 0) >= want;
  return { ready, summary: `${available}/${want} available` };
}

export const isPodReady = (pod: V1Pod): boolean => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/**
 * Why a pod is not Ready, in the API's own words: unschedulable (with the scheduler's message),
 * a waiting container's reason (CrashLoopBackOff, ImagePullBackOff, ...), or a failing readiness probe.
 */
export function podProblem(pod: V1Pod): string | undefined {
  if (pod.metadata?.deletionTimestamp) return undefined;
  if (isPodReady(pod)) return undefined;
  const phase = pod.status?.phase ?? 'Unknown';
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False') return `${phase}/${scheduled.reason ?? 'Unschedulable'}: ${scheduled.message ?? 'not scheduled'}`;
  for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && waiting.reason !== 'PodInitializing' && waiting.reason !== 'ContainerCreating')
      return `container ${c.name} ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''} (restarts ${c.restartCount})`;
    if (c.state?.terminated && c.state.terminated.exitCode !== 0)
      return `container ${c.name} terminated: ${c.state.terminated.reason ?? `exit ${c.state.terminated.exitCode}`}`;
  }
  const unready = pod.status?.containerStatuses?.find((c) => c.state?.running && !c.ready);
  if (unready) return `container ${unready.name} running but its readiness probe is failing`;
  if (!pod.status?.containerStatuses?.length) return `${phase}: no container started yet`;
  return `${phase}: not Ready`;
}

/** Pods selected by a workload's matchLabels (the only selector form Istio's charts use). */
export function podsOfSelector(matchLabels: Record<string, string> | undefined, pods: Iterable<V1Pod>, namespace: string): V1Pod[] {
  if (!matchLabels || !Object.keys(matchLabels).length) return [];
  return [...pods].filter(
    (p) => p.metadata?.namespace === namespace && Object.entries(matchLabels).every(([k, v]) => p.metadata?.labels?.[k] === v),
  );
}
