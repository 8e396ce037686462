import type { V1Pod } from '@kubernetes/client-node';

/** The bookinfo files of an Istio release: the application, and its gateway in either API. */
export const BOOKINFO_APP = 'samples/bookinfo/platform/kube/bookinfo.yaml';
export const BOOKINFO_GATEWAY = {
  istio: 'samples/bookinfo/networking/bookinfo-gateway.yaml',
  'gateway-api': 'samples/bookinfo/gateway-api/bookinfo-gateway.yaml',
} as const;
export type GatewayMode = keyof typeof BOOKINFO_GATEWAY;

/** The label that switches injection on: the revision's when the install has one, as istioctl documents. */
export const injectionLabels = (revision: string): Record<string, string> =>
  revision ? { 'istio.io/rev': revision } : { 'istio-injection': 'enabled' };

/** A pod carries Istio's proxy as a container, or (native sidecars) as an init container. */
export const hasSidecar = (pod: V1Pod): boolean =>
  [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].some((c) => c.name === 'istio-proxy');

export interface CheckOutcome {
  url: string;
  requests: number;
  /** Status code (or the network error's code) -> how many. */
  results: Record<string, number>;
  ok: boolean;
}

/**
 * Sends `count` GETs to the page, one after another (as the seeds' curl loop does), and counts
 * what came back: status codes, or the error that stood in for one.
 */
export async function checkPage(url: string, count: number, timeoutMs = 5000): Promise<CheckOutcome> {
  const results: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    let key: string;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
      await res.arrayBuffer();
      key = String(res.status);
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      key = cause?.code ?? (error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'error');
    }
    results[key] = (results[key] ?? 0) + 1;
  }
  return { url, requests: count, results, ok: results['200'] === count };
}

export const formatCheck = (c: CheckOutcome): string =>
  `${c.requests} GET ${c.url}: ${Object.entries(c.results)
    .map(([k, n]) => `${n} x ${k}`)
    .join(', ')}`;
