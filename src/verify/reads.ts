import { recordName } from '../plan/install.js';

export const recordPath = (ns: string, revision = '') => `/api/v1/namespaces/${ns}/configmaps/${recordName(revision)}`;

/**
 * Every read verify makes, once: the API path, and the permission it needs as RBAC spells it.
 * Facts are gathered from these, an unknown check names the permission it lacked from these,
 * and `mesh verify --print-role` builds its ClusterRole from these, so the three cannot disagree.
 */
export interface ReadSpec {
  path(ns: string): string;
  verb: 'get' | 'list';
  /** `deployments.apps`, `namespaces` (the core group has no suffix). */
  resource: string;
  namespaced: boolean;
  query?: Record<string, string>;
}

export const VERIFY_READS = {
  namespaces: { path: () => '/api/v1/namespaces', verb: 'list', resource: 'namespaces', namespaced: false },
  namespace: { path: (ns) => `/api/v1/namespaces/${ns}`, verb: 'get', resource: 'namespaces', namespaced: false },
  record: {
    path: (ns) => recordPath(ns),
    verb: 'get',
    resource: 'configmaps',
    namespaced: true,
  },
  deployments: { path: (ns) => `/apis/apps/v1/namespaces/${ns}/deployments`, verb: 'list', resource: 'deployments.apps', namespaced: true },
  daemonSets: { path: (ns) => `/apis/apps/v1/namespaces/${ns}/daemonsets`, verb: 'list', resource: 'daemonsets.apps', namespaced: true },
  /** Read only when an addon recorded a StatefulSet (loki). */
  statefulSets: {
    path: (ns) => `/apis/apps/v1/namespaces/${ns}/statefulsets`,
    verb: 'list',
    resource: 'statefulsets.apps',
    namespaced: true,
  },
  pods: { path: (ns) => `/api/v1/namespaces/${ns}/pods`, verb: 'list', resource: 'pods', namespaced: true },
  allPods: { path: () => '/api/v1/pods', verb: 'list', resource: 'pods', namespaced: false },
  services: { path: (ns) => `/api/v1/namespaces/${ns}/services`, verb: 'list', resource: 'services', namespaced: true },
  endpointSlices: {
    path: (ns) => `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
    verb: 'list',
    resource: 'endpointslices.discovery.k8s.io',
    namespaced: true,
  },
  crds: {
    path: () => '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
    verb: 'list',
    resource: 'customresourcedefinitions.apiextensions.k8s.io',
    namespaced: false,
    query: { labelSelector: 'app.kubernetes.io/part-of=istio' },
  },
  mutatingWebhooks: {
    path: () => '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
    verb: 'list',
    resource: 'mutatingwebhookconfigurations.admissionregistration.k8s.io',
    namespaced: false,
  },
  validatingWebhooks: {
    path: () => '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
    verb: 'list',
    resource: 'validatingwebhookconfigurations.admissionregistration.k8s.io',
    namespaced: false,
  },
} satisfies Record<string, ReadSpec>;

/**
 * What `istioctl analyze` (the `config` category) reads beyond verify's own reads: Istio's and the
 * Gateway API's config, and core kinds it cross-checks — Secrets among them (gateway credentials),
 * which is why it is a role of its own that you may choose not to bind.
 */
const ANALYZE_RULES: Array<[string[], string[]]> = [
  [[''], ['configmaps', 'endpoints', 'namespaces', 'nodes', 'pods', 'secrets', 'services']],
  [['networking.istio.io', 'security.istio.io', 'telemetry.istio.io', 'extensions.istio.io'], ['"*"']],
  [['gateway.networking.k8s.io', 'gateway.networking.x-k8s.io'], ['"*"']],
  [['admissionregistration.k8s.io'], ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']],
  [['apps'], ['deployments', 'replicasets']],
  [['discovery.k8s.io'], ['endpointslices']],
];

const yamlRule = ([groups, resources]: [string[], string[]]) =>
  `  - apiGroups: [${groups.map((g) => `"${g}"`).join(', ')}]\n    resources: [${resources.join(', ')}]\n    verbs: [get, list, watch]`;

const clusterRole = (name: string, comment: string[], rules: Array<[string[], string[]]>) =>
  [
    ...comment.map((line) => `# ${line}`),
    `# Bind it: kubectl create clusterrolebinding ${name} --clusterrole=${name} --serviceaccount=<ns>:<sa>`,
    'apiVersion: rbac.authorization.k8s.io/v1',
    'kind: ClusterRole',
    'metadata:',
    `  name: ${name}`,
    'rules:',
    ...rules.map(yamlRule),
  ].join('\n');

/**
 * The least a user needs: `mesh-verify`, get/list/watch (watch for `--wait`) on exactly what
 * verify's checks read; and `mesh-verify-analyze` for `istioctl analyze`, which needs Secrets.
 * Bind the first alone and run with `--skip-analyze` to keep Secrets out of reach.
 */
export function verifyClusterRoles(): string {
  const byGroup = new Map<string, Set<string>>();
  for (const spec of Object.values(VERIFY_READS) as ReadSpec[]) {
    const dot = spec.resource.indexOf('.');
    const group = dot === -1 ? '' : spec.resource.slice(dot + 1);
    byGroup.set(group, (byGroup.get(group) ?? new Set()).add(dot === -1 ? spec.resource : spec.resource.slice(0, dot)));
  }
  const checks = [...byGroup.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([g, r]): [string[], string[]] => [[g], [...r].sort()]);
  return `${[
    clusterRole('mesh-verify', ["What `mesh verify`'s checks read, and nothing else (`mesh verify --print-role`)."], checks),
    clusterRole(
      'mesh-verify-analyze',
      [
        'What `istioctl analyze` reads for the `config` category: includes Secrets (gateway credentials).',
        'Leave it unbound and use `mesh verify --skip-analyze` to keep Secrets out of reach.',
      ],
      ANALYZE_RULES,
    ),
  ].join('\n---\n')}\n`;
}
