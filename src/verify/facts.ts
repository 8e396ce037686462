import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import { KubeApiError, type KubeGateway } from '../adapters/kube.js';
import { readRecord, serverVersion } from '../install/cluster.js';
import type { Facts, Read } from './types.js';

/** Namespaces with sidecar injection switched on by label (istio-injection=enabled or istio.io/rev). */
export const injectionEnabled = (ns: V1Namespace): boolean => {
  const labels = ns.metadata?.labels ?? {};
  return labels['istio-injection'] === 'enabled' || (labels['istio.io/rev'] !== undefined && labels['istio-injection'] !== 'disabled');
};

async function read<T>(kube: KubeGateway, path: string, query?: Record<string, string>): Promise<Read<T>> {
  try {
    return { items: (await kube.list<T>(path, query)).items };
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 403) return { items: [], forbidden: `list ${path}` };
    if (error instanceof KubeApiError && error.status === 404) return { items: [] };
    throw error;
  }
}

/** Above this many injected namespaces one cluster-wide pod list beats one list per namespace. */
const PER_NAMESPACE_POD_LISTS = 2;

async function readDataPlanePods(kube: KubeGateway, injected: string[]): Promise<Map<string, V1Pod[]>> {
  const byNamespace = new Map<string, V1Pod[]>();
  if (injected.length > PER_NAMESPACE_POD_LISTS) {
    const all = await read<V1Pod>(kube, '/api/v1/pods');
    for (const name of injected)
      byNamespace.set(
        name,
        all.items.filter((p) => p.metadata?.namespace === name),
      );
  } else {
    const lists = await Promise.all(injected.map((name) => read<V1Pod>(kube, `/api/v1/namespaces/${name}/pods`)));
    injected.forEach((name, i) => byNamespace.set(name, lists[i].items));
  }
  return byNamespace;
}

/**
 * Reads everything verify needs in a fixed number of requests (12, plus at most 2 pod lists),
 * all in parallel: lists by namespace, never object by object.
 */
export async function gatherFacts(kube: KubeGateway, istioNamespace: string): Promise<Facts> {
  const ns = istioNamespace;
  // The (small) namespace list first: it says which pod lists to ask for, and those - the
  // biggest reads by far - then run alongside everything else instead of after it.
  const namespaces = await read<V1Namespace>(kube, '/api/v1/namespaces');
  const injected = namespaces.items
    .filter(injectionEnabled)
    .map((n) => n.metadata!.name!)
    .filter((n) => n !== ns);
  const dataPlane = readDataPlanePods(kube, injected);
  const [
    version,
    namespace,
    record,
    deployments,
    daemonSets,
    pods,
    services,
    endpointSlices,
    crds,
    mutatingWebhooks,
    validatingWebhooks,
    dataPlanePods,
  ] = await Promise.all([
    serverVersion(kube),
    kube.get<V1Namespace>(`/api/v1/namespaces/${ns}`).catch(() => undefined),
    readRecord(kube, ns).catch(() => ({ record: undefined, configMap: undefined })),
    read(kube, `/apis/apps/v1/namespaces/${ns}/deployments`),
    read(kube, `/apis/apps/v1/namespaces/${ns}/daemonsets`),
    read(kube, `/api/v1/namespaces/${ns}/pods`),
    read(kube, `/api/v1/namespaces/${ns}/services`),
    read(kube, `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`),
    read(kube, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { labelSelector: 'app.kubernetes.io/part-of=istio' }),
    read(kube, '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations'),
    read(kube, '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations'),
    dataPlane,
  ]);
  return {
    context: kube.context,
    server: kube.server,
    istioNamespace: ns,
    serverVersion: version,
    namespace,
    record: record.record,
    recordConfigMap: record.configMap,
    deployments: deployments as Facts['deployments'],
    daemonSets: daemonSets as Facts['daemonSets'],
    pods: pods as Facts['pods'],
    services: services as Facts['services'],
    endpointSlices: endpointSlices as Facts['endpointSlices'],
    crds: crds as Facts['crds'],
    mutatingWebhooks: mutatingWebhooks as Facts['mutatingWebhooks'],
    validatingWebhooks: validatingWebhooks as Facts['validatingWebhooks'],
    namespaces,
    dataPlanePods,
  };
}
