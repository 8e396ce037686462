import type { V1Namespace } from '@kubernetes/client-node';

/** Namespaces with sidecar injection switched on by label (istio-injection=enabled or istio.io/rev). */
const injectionEnabled = (ns: V1Namespace): boolean => {
  const labels = ns.metadata?.labels ?? {};
  return labels['istio-injection'] === 'enabled' || (labels['istio.io/rev'] !== undefined && labels['istio-injection'] !== 'disabled');
};

/** The data plane's namespaces, by name: injection on, the Istio namespace itself aside. */
export const injectedNamespaces = (namespaces: V1Namespace[], istioNamespace: string): string[] =>
  namespaces
    .filter(injectionEnabled)
    .map((n) => n.metadata!.name!)
    .filter((n) => n !== istioNamespace);
