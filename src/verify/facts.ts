import type {
  V1ConfigMap,
  V1CustomResourceDefinition,
  V1DaemonSet,
  V1Deployment,
  V1EndpointSlice,
  V1MutatingWebhookConfiguration,
  V1Namespace,
  V1Pod,
  V1Service,
  V1StatefulSet,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { KubeApiError, type KubeGateway } from '../adapters/kube.js';
import { parseRecord, RECORD_DATA_KEY, type InstallRecord } from '../plan/record.js';
import { serverVersion } from '../install/cluster.js';
import { recordPath, VERIFY_READS, type ReadSpec } from './reads.js';
import { injectedNamespaces } from './injected.js';
import { READ_NAMES, type Facts, type Got, type Read, type ReadError, type ReadName } from './types.js';

/**
 * A refused (403) or failed (other API error) read becomes a ReadError naming the permission, so
 * the checks standing on it say "unknown". 401 and network errors mean the cluster is not usable
 * at all and stop verify (exit 4).
 */
function readError(error: unknown, spec: ReadSpec, ns: string): ReadError {
  if (!(error instanceof KubeApiError) || error.status === 401) throw error;
  const need = `${spec.verb} ${spec.resource}${spec.namespaced ? ` in ${ns}` : ''}`;
  return error.status === 403
    ? { kind: 'forbidden', need, detail: error.reason }
    : { kind: 'failed', need, detail: `${error.status} ${error.reason}` };
}

/** A list read: its items, or the ReadError of a refused or failed read. */
async function listed<T>(spec: ReadSpec, ns: string, items: () => Promise<T[]>): Promise<Read<T>> {
  try {
    return { items: await items() };
  } catch (error) {
    // A resource the server does not serve (an old cluster) holds no objects.
    if (error instanceof KubeApiError && error.status === 404) return { items: [] };
    return { items: [], error: readError(error, spec, ns) };
  }
}

const list = <T>(kube: KubeGateway, spec: ReadSpec, ns: string) =>
  listed(spec, ns, () => kube.list<T>(spec.path(ns), spec.query).then((got) => got.items));

async function get<T>(kube: KubeGateway, spec: ReadSpec, ns: string): Promise<Got<T>> {
  try {
    const value = await kube.get<T>(spec.path(ns));
    return value === undefined ? {} : { value };
  } catch (error) {
    return { error: readError(error, spec, ns) };
  }
}

/** Above this many injected namespaces one cluster-wide pod list beats one list per namespace. */
const PER_NAMESPACE_POD_LISTS = 2;

/** A data-plane pod list: every page, each pod cut down to what the checks read (kube.listPods). */
const listPods = (kube: KubeGateway, spec: ReadSpec, ns: string) => listed(spec, ns, () => kube.listPods(spec.path(ns), spec.query));

async function readDataPlanePods(kube: KubeGateway, injected: string[]): Promise<Facts['dataPlanePods']> {
  const byNamespace = new Map<string, V1Pod[]>();
  if (injected.length > PER_NAMESPACE_POD_LISTS) {
    const all = await listPods(kube, VERIFY_READS.allPods, '');
    if (all.error) return { byNamespace, error: all.error };
    const wanted = new Set(injected);
    for (const name of injected) byNamespace.set(name, []);
    for (const pod of all.items) if (wanted.has(pod.metadata?.namespace ?? '')) byNamespace.get(pod.metadata!.namespace!)!.push(pod);
    return { byNamespace };
  }
  const lists = await Promise.all(injected.map((name) => listPods(kube, VERIFY_READS.pods, name)));
  const error = lists.find((l) => l.error)?.error;
  injected.forEach((name, i) => byNamespace.set(name, lists[i].items));
  return error ? { byNamespace, error } : { byNamespace };
}

const NOT_READ: Read<never> = { items: [] };

/** One read over several namespaces: every item, and the first error (its permission names the namespace). */
function joinReads<T>(reads: Read<T>[]): Read<T> {
  const error = reads.find((read) => read.error)?.error;
  const items = reads.flatMap((read) => read.items);
  return error ? { items, error } : { items };
}

/**
 * Reads what the checks need in a fixed number of requests (at most 12, plus at most 2 pod lists of
 * one page per 2,500 pods (POD_PAGE), plus 4 for each other namespace the install record puts
 * workloads in), all in parallel: lists by namespace, never object by object.
 */
export async function gatherFacts(
  kube: KubeGateway,
  istioNamespace: string,
  /** Whose record: the default revision's (''), or another control plane's beside it. */
  revision = '',
  /** What to read (readsFor the selected checks); a fact not read is empty, with no error. */
  reads: ReadonlySet<ReadName> = new Set(READ_NAMES),
): Promise<Facts> {
  const ns = istioNamespace;
  const r = { ...VERIFY_READS, record: { ...VERIFY_READS.record, path: (n: string) => recordPath(n, revision) } };
  const wanted = <T>(name: ReadName, read: () => Promise<T>, otherwise: T): Promise<T> =>
    reads.has(name) ? read() : Promise.resolve(otherwise);
  // The (small) namespace list first: it says which pod lists to ask for, and those - the
  // biggest reads by far - then run alongside everything else instead of after it.
  // The record rides along: it says which other namespaces hold workloads of the install (the
  // CNI plugin in kube-system, gateways in their own), read beside the Istio namespace's.
  const [namespaces, recordMap] = await Promise.all([
    wanted('namespaces', () => list<V1Namespace>(kube, r.namespaces, ns), NOT_READ),
    wanted('record', () => get<V1ConfigMap>(kube, r.record, ns), {}),
  ]);
  const injected = injectedNamespaces(namespaces.items, ns);
  const dataPlane = wanted('dataPlanePods', () => readDataPlanePods(kube, injected), { byNamespace: new Map<string, V1Pod[]>() });
  const record: Got<InstallRecord> = recordMap.error
    ? { error: recordMap.error }
    : { value: parseRecord(recordMap.value?.data?.[RECORD_DATA_KEY]) };
  const workloadNamespaces = [ns, ...new Set((record.value?.workloads ?? []).map((w) => w.split('/')[1]).filter((n) => n && n !== ns))];
  const inEach = <T>(name: ReadName, spec: ReadSpec): Promise<Read<T>> =>
    wanted(name, () => Promise.all(workloadNamespaces.map((n) => list<T>(kube, spec, n))).then(joinReads), NOT_READ);
  const single = <T>(name: ReadName, spec: ReadSpec): Promise<Read<T>> => wanted(name, () => list<T>(kube, spec, ns), NOT_READ);
  const addonStatefulSets = (record.value?.addons ?? []).some((a) => a.objects.some((o) => o.kind === 'StatefulSet'));
  const [
    version,
    namespace,
    deployments,
    daemonSets,
    statefulSets,
    pods,
    services,
    endpointSlices,
    crds,
    mutating,
    validating,
    dataPlanePods,
  ] = await Promise.all([
    serverVersion(kube),
    wanted('namespace', () => get<V1Namespace>(kube, r.namespace, ns), {}),
    inEach<V1Deployment>('deployments', r.deployments),
    inEach<V1DaemonSet>('daemonSets', r.daemonSets),
    addonStatefulSets ? single<V1StatefulSet>('statefulSets', r.statefulSets) : Promise.resolve(NOT_READ),
    inEach<V1Pod>('pods', r.pods),
    inEach<V1Service>('services', r.services),
    single<V1EndpointSlice>('endpointSlices', r.endpointSlices),
    single<V1CustomResourceDefinition>('crds', r.crds),
    single<V1MutatingWebhookConfiguration>('mutatingWebhooks', r.mutatingWebhooks),
    single<V1ValidatingWebhookConfiguration>('validatingWebhooks', r.validatingWebhooks),
    dataPlane,
  ]);
  return {
    context: kube.context,
    server: kube.server,
    istioNamespace: ns,
    workloadNamespaces,
    serverVersion: version,
    namespace,
    record,
    ...(recordMap.value ? { recordConfigMap: recordMap.value } : {}),
    deployments,
    daemonSets,
    statefulSets,
    pods,
    services,
    endpointSlices,
    crds,
    mutatingWebhooks: mutating,
    validatingWebhooks: validating,
    namespaces,
    dataPlanePods,
  };
}
