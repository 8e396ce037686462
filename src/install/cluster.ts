import type { V1ConfigMap, V1Namespace } from '@kubernetes/client-node';
import { KubeApiError, type KubeGateway } from '../adapters/kube.js';
import { CliError, ExitCode, preflightError } from '../errors.js';
import { Informer } from '../adapters/informer.js';
import { RECORD_NAME, recordName } from '../plan/install.js';
import { parseRecord, RECORD_DATA_KEY, type InstallRecord } from '../plan/record.js';

/** The few cluster reads and writes install/uninstall/status share. */
export async function serverVersion(kube: KubeGateway): Promise<{ gitVersion: string; minor: number }> {
  const v = await kube.request<{ gitVersion: string; minor: string }>('GET', '/version');
  return { gitVersion: v.gitVersion, minor: Number.parseInt(v.minor, 10) };
}

export async function readRecord(
  kube: KubeGateway,
  namespace: string,
  revision = '',
): Promise<{ record?: InstallRecord; configMap?: V1ConfigMap }> {
  const configMap = await kube.get<V1ConfigMap>(`/api/v1/namespaces/${namespace}/configmaps/${recordName(revision)}`);
  return { record: parseRecord(configMap?.data?.[RECORD_DATA_KEY]), configMap };
}

/** Every control plane mesh recorded in the namespace (one ConfigMap each), default revision first. */
export async function listRecords(kube: KubeGateway, namespace: string): Promise<InstallRecord[]> {
  const list = await kube.list<V1ConfigMap>(`/api/v1/namespaces/${namespace}/configmaps`, {
    labelSelector: 'app.kubernetes.io/managed-by=mesh',
  });
  return list.items
    .filter((c) => c.metadata?.name === RECORD_NAME || c.metadata?.name?.startsWith(`${RECORD_NAME}-`))
    .map((c) => parseRecord(c.data?.[RECORD_DATA_KEY]))
    .filter((r): r is InstallRecord => r !== undefined)
    .sort((a, b) => (a.revision || '').localeCompare(b.revision || ''));
}

/** Creates or replaces the record; returns the stored ConfigMap (its resourceVersion guards the next write). */
export async function writeRecord(kube: KubeGateway, record: InstallRecord, existing?: V1ConfigMap): Promise<V1ConfigMap> {
  const ns = record.istioNamespace;
  const name = recordName(record.revision);
  const body: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: ns,
      labels: { 'app.kubernetes.io/managed-by': 'mesh' },
      ...(existing?.metadata?.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
    },
    data: { [RECORD_DATA_KEY]: `${JSON.stringify(record, null, 2)}\n` },
  };
  if (existing) return kube.request<V1ConfigMap>('PUT', `/api/v1/namespaces/${ns}/configmaps/${name}`, body);
  return kube.request<V1ConfigMap>('POST', `/api/v1/namespaces/${ns}/configmaps`, body);
}

/** The install record addons and samples are kept in: without one there is no mesh install to add them to. */
export async function requireRecord(kube: KubeGateway, ns: string): Promise<{ record: InstallRecord; configMap?: V1ConfigMap }> {
  const found = await readRecord(kube, ns);
  if (found.record) return { record: found.record, configMap: found.configMap };
  // Without a default revision, the one revision there is (a canary-only install) carries them.
  const records = await listRecords(kube, ns);
  if (records.length === 1) {
    const only = await readRecord(kube, ns, records[0].revision);
    if (only.record) return { record: only.record, configMap: only.configMap };
  }
  throw preflightError(
    records.length
      ? `no mesh install of the default revision in namespace ${ns} (context ${kube.context}), and several revisions: ` +
          records.map((r) => r.revision).join(', ')
      : `no mesh install in namespace ${ns} (context ${kube.context}): samples and addons go with an installed Istio`,
    records.length
      ? 'install the default revision, or remove all but one'
      : 'run `mesh install` first (or pass -n with the Istio namespace)',
  );
}

/**
 * Re-reads the record and writes it back with `change` applied: addons and samples change their
 * own field of it, over whatever an install wrote meanwhile (the resourceVersion guards the write).
 */
export async function updateRecord(
  kube: KubeGateway,
  ns: string,
  change: (record: InstallRecord) => Partial<InstallRecord>,
  /** One revision's record; without it, the record addons and samples use (requireRecord's). */
  revision?: string,
): Promise<void> {
  const current = revision === undefined ? await requireRecord(kube, ns) : await readRecord(kube, ns, revision);
  if (!current.record) return;
  await writeRecord(kube, { ...current.record, ...change(current.record) }, current.configMap);
}

export const deleteRecord = (kube: KubeGateway, namespace: string, revision = ''): Promise<boolean> =>
  kube.remove(`/api/v1/namespaces/${namespace}/configmaps/${recordName(revision)}`);

export const getNamespace = (kube: KubeGateway, name: string) => kube.get<V1Namespace>(`/api/v1/namespaces/${name}`);

/** Creates a namespace unless it exists; returns true if it created it. */
export async function ensureNamespace(kube: KubeGateway, name: string): Promise<boolean> {
  if (await getNamespace(kube, name)) return false;
  try {
    await kube.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    return true;
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 409) return false;
    throw error;
  }
}

/** Merge-patches labels; a null value removes the label. */
export async function patchNamespaceLabels(kube: KubeGateway, name: string, labels: Record<string, string | null>): Promise<void> {
  await kube.request('PATCH', `/api/v1/namespaces/${name}`, { metadata: { labels } }, 'application/merge-patch+json');
}

export interface AccessCheck {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
}

/** SelfSubjectAccessReviews, in parallel; returns the checks that are denied. */
export async function deniedAccess(kube: KubeGateway, checks: AccessCheck[]): Promise<AccessCheck[]> {
  const results = await Promise.all(
    checks.map(async (check) => {
      const review = await kube.request<{ status?: { allowed?: boolean } }>(
        'POST',
        '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
        {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: {
            resourceAttributes: {
              verb: check.verb,
              group: check.group,
              resource: check.resource,
              ...(check.namespace ? { namespace: check.namespace } : {}),
            },
          },
        },
      );
      return review.status?.allowed ? undefined : check;
    }),
  );
  return results.filter((c): c is AccessCheck => c !== undefined);
}

export const formatAccess = (c: AccessCheck) =>
  `${c.verb} ${c.resource}${c.group ? `.${c.group}` : ''}${c.namespace ? ` in ${c.namespace}` : ''}`;

/** Deletes namespaces and watches until they are gone (finalizers need kube-controller-manager). */
export async function deleteNamespacesAndWait(kube: KubeGateway, names: string[], timeoutSeconds: number): Promise<void> {
  const informer = new Informer<V1Namespace & { metadata: { name: string } }>(kube, '/api/v1/namespaces');
  let finish!: () => void;
  const gone = new Promise<void>((resolve) => (finish = resolve));
  const check = () => {
    if (names.every((n) => !informer.items.has(`/${n}`))) finish();
  };
  const timer = setTimeout(finish, timeoutSeconds * 1000);
  try {
    await informer.start(check, timeoutSeconds);
    for (const name of names) await kube.remove(`/api/v1/namespaces/${name}`);
    check();
    await gone;
  } finally {
    clearTimeout(timer);
    informer.stop();
  }
  const left = names.filter((n) => informer.items.has(`/${n}`));
  if (left.length)
    throw new CliError(
      `namespace ${left.join(', ')} still Terminating after ${timeoutSeconds}s`,
      ExitCode.verifyFailed,
      `see what blocks it: kubectl get namespace ${left[0]} -o yaml (finalizers, conditions)`,
    );
}
