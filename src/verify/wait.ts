import type { KubeGateway } from '../adapters/kube.js';
import { Informer, type KubeObject } from '../adapters/informer.js';

/** What verify --wait watches: what its checks read in the Istio namespace, and the webhooks. */
const watched = (ns: string) => [
  `/apis/apps/v1/namespaces/${ns}/deployments`,
  `/apis/apps/v1/namespaces/${ns}/daemonsets`,
  `/api/v1/namespaces/${ns}/pods`,
  `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
  '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
  '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
  '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
];

export interface ChangeFeed {
  /** Resolves true once something changed since the last call (events coalesced for 200 ms), false at the timeout. */
  next(timeoutMs: number): Promise<boolean>;
  close(): void;
}

/**
 * Opens watches before verify's first read, so no change between a read and the wait is lost.
 * Each watch starts from a one-item list's resourceVersion: cheap, and no polling.
 */
export async function openChangeFeed(kube: KubeGateway, ns: string, lifetimeSeconds: number): Promise<ChangeFeed> {
  const informers = watched(ns).map((path) => new Informer<KubeObject>(kube, path, { limit: '1' }));
  let pending = false;
  let wake: (() => void) | undefined;
  let debounce: NodeJS.Timeout | undefined;
  const onChange = () => {
    pending = true;
    clearTimeout(debounce);
    debounce = setTimeout(() => wake?.(), 200);
  };
  await Promise.all(informers.map((i) => i.start(onChange, lifetimeSeconds)));
  return {
    async next(timeoutMs: number): Promise<boolean> {
      if (timeoutMs <= 0) return false;
      if (!pending) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      } else await new Promise((r) => setTimeout(r, 200));
      wake = undefined;
      const changed = pending;
      pending = false;
      return changed;
    },
    close() {
      clearTimeout(debounce);
      informers.forEach((i) => i.stop());
    },
  };
}
