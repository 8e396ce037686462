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

/** Change notifications coalesced into "something changed since you last asked" (pure timing, no I/O). */
export interface ChangeSignal {
  notify(): void;
  next(timeoutMs: number): Promise<boolean>;
  close(): void;
}

/** Events are coalesced for this long: a rollout is a burst of them, and verify reads once per burst. */
const SETTLE_MS = 200;

export function changeSignal(): ChangeSignal {
  let pending = false;
  let wake: (() => void) | undefined;
  let debounce: NodeJS.Timeout | undefined;
  return {
    notify() {
      pending = true;
      clearTimeout(debounce);
      debounce = setTimeout(() => wake?.(), SETTLE_MS);
    },
    async next(timeoutMs: number): Promise<boolean> {
      if (timeoutMs <= 0) return false;
      const deadline = Date.now() + timeoutMs;
      if (pending) await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      // Woken by the debounce, SETTLE_MS after the last event. A debounce left over from a change
      // already consumed wakes with nothing pending: that is no change, so the wait goes on
      // (returning false there ended `verify --wait` early during an API server restart).
      while (!pending) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      pending = false;
      return true;
    },
    close() {
      clearTimeout(debounce);
    },
  };
}

/**
 * Opens watches before verify's first read, so no change between a read and the wait is lost.
 * Each watch starts from a one-item list's resourceVersion: cheap, and no polling.
 */
export async function openChangeFeed(kube: KubeGateway, ns: string, lifetimeSeconds: number): Promise<ChangeFeed> {
  const informers = watched(ns).map((path) => new Informer<KubeObject>(kube, path, { limit: '1' }));
  const signal = changeSignal();
  await Promise.all(informers.map((i) => i.start(() => signal.notify(), lifetimeSeconds)));
  return {
    next: (timeoutMs) => signal.next(timeoutMs),
    close() {
      signal.close();
      informers.forEach((i) => i.stop());
    },
  };
}
