import { describe, expect, it } from 'vitest';
import type { KubeGateway } from '../../src/adapters/kube.js';
import { watchRollout } from '../../src/wait/rollout.js';

// The e2e install tests run the watch against the testbed; this pins down what they cannot see
// without timing: a wait started after the apply judges the copy kept since, and lists nothing.

const istiod = (ready: boolean) => ({
  metadata: { name: 'istiod', namespace: 'istio-system', generation: 1, resourceVersion: ready ? '3' : '2' },
  spec: { replicas: 1, selector: { matchLabels: { app: 'istiod' } } },
  status: ready
    ? { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 }
    : { observedGeneration: 1, replicas: 1, updatedReplicas: 0 },
});

/** A gateway whose lists are empty and whose deployment watch sends `events`, counting lists. */
function fakeKube(events: unknown[]) {
  const lists: string[] = [];
  const kube = {
    requests: 0,
    async list(path: string) {
      lists.push(path);
      return { items: [], metadata: { resourceVersion: '1' } };
    },
    async watch(path: string, _q: Record<string, string>, onEvent: (e: unknown) => void, signal: AbortSignal) {
      if (path.endsWith('/deployments')) for (const e of events) onEvent(e);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    },
  } as unknown as KubeGateway;
  return { kube, lists };
}

const workloads = [{ kind: 'Deployment' as const, namespace: 'istio-system', name: 'istiod' }];
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('watchRollout', () => {
  it('a wait started after the rollout judges the watched copy: ready at once, no list of its own', async () => {
    const { kube, lists } = fakeKube([
      { type: 'ADDED', object: istiod(false) },
      { type: 'MODIFIED', object: istiod(true) },
    ]);
    const watch = watchRollout(kube, workloads, 300);
    await settle();
    expect(lists).toEqual([
      '/apis/apps/v1/namespaces/istio-system/deployments',
      '/apis/apps/v1/namespaces/istio-system/daemonsets',
      '/api/v1/namespaces/istio-system/pods',
    ]);
    const result = await watch.until(300);
    watch.stop();
    expect(result).toMatchObject({ ready: true, notReady: [] });
    expect(lists).toHaveLength(3);
  });

  it('what the watch saw still not ready is reported when the deadline passes', async () => {
    const { kube } = fakeKube([{ type: 'ADDED', object: istiod(false) }]);
    const watch = watchRollout(kube, workloads, 300);
    await settle();
    const result = await watch.until(0.05);
    watch.stop();
    expect(result.ready).toBe(false);
    expect(result.notReady[0]).toMatchObject({ workload: 'Deployment/istio-system/istiod' });
  });
});
