import { usageError } from '../errors.js';
import { isTree, mergeFrom, type Tree } from '../profiles/merge.js';
import type { EffectiveComponent } from './effective.js';
import type { ChartName } from './charts.js';

/**
 * istioctl applies a component's `k8s` settings by patching the rendered objects; Helm has no such
 * step, so each setting becomes the chart value that produces the same field, and a setting no
 * chart value can produce is refused with its path named — silently dropping it would install
 * something other than what the file says.
 */
type Translate = (value: unknown, out: Tree, where: string) => void;

const as =
  (key: string): Translate =>
  (value, out) =>
    void (out[key] = value);

/**
 * Variables istiod's chart writes itself, after the user's `env`, so an `env` entry cannot change
 * them (Kubernetes keeps the last): each becomes the chart value behind it, or is refused.
 */
const ISTIOD_CHART_ENV: Record<string, string | undefined> = {
  PILOT_TRACE_SAMPLING: 'traceSampling',
  REVISION: undefined,
  PILOT_CERT_PROVIDER: undefined,
  POD_NAME: undefined,
  POD_NAMESPACE: undefined,
  SERVICE_ACCOUNT: undefined,
  KUBECONFIG: undefined,
  PILOT_ENABLE_ANALYSIS: undefined,
  CLUSTER_ID: undefined,
  GOMAXPROCS: undefined,
  PLATFORM: undefined,
  PILOT_CA_CERT_CONFIGMAP: undefined,
  PILOT_CRL_CONFIGMAP: undefined,
};

/** EnvVar list -> the charts' `env` map (name: value), with `valueFrom` entries in `envVarFrom`. */
const env =
  (fromKey?: string, chartOwned: Record<string, string | undefined> = {}): Translate =>
  (value, out, where) => {
    const map: Tree = {};
    const from: Tree[] = [];
    for (const item of (value as Array<Tree | null>) ?? []) {
      if (!item) continue;
      const name = String(item.name);
      if (name in chartOwned) {
        const key = chartOwned[name];
        if (!key || item.valueFrom !== undefined)
          throw cannot(`${where}.env[name:${name}]`, 'the chart sets that variable itself, after yours');
        out[key] =
          typeof item.value === 'string' && item.value !== '' && Number.isFinite(Number(item.value)) ? Number(item.value) : item.value;
        continue;
      }
      if (item.valueFrom !== undefined) {
        if (!fromKey) throw cannot(`${where}.env[name:${String(item.name)}].valueFrom`, 'this chart only takes plain env values');
        from.push(item);
      } else map[String(item.name)] = item.value ?? '';
    }
    if (Object.keys(map).length) out.env = map;
    if (from.length && fromKey) out[fromKey] = from;
  };

const hpa =
  (minKey: string, maxKey: string): Translate =>
  (value, out, where) => {
    const spec = (value ?? {}) as Tree;
    for (const key of Object.keys(spec))
      if (key === 'minReplicas') out[minKey] = spec.minReplicas;
      else if (key === 'maxReplicas') out[maxKey] = spec.maxReplicas;
      else throw cannot(`${where}.hpaSpec.${key}`, 'the charts take only minReplicas and maxReplicas');
  };

const cannot = (path: string, why: string) =>
  usageError(
    `the helm backend cannot express ${path}: ${why}`,
    "use --backend istioctl, or set the chart's own value under values (see mesh render --backend helm)",
  );

/** Per chart, the k8s settings it has a value for; the path `<root>.<key>` is relative to the chart's root. */
const CHART_K8S: Record<Exclude<ChartName, 'gateway'>, Partial<Record<string, Translate>>> = {
  base: {},
  istiod: {
    affinity: as('affinity'),
    env: env('envVarFrom', ISTIOD_CHART_ENV),
    nodeSelector: as('nodeSelector'),
    podAnnotations: as('podAnnotations'),
    resources: as('resources'),
    serviceAnnotations: as('serviceAnnotations'),
    tolerations: as('tolerations'),
    volumes: as('volumes'),
    volumeMounts: as('volumeMounts'),
    hpaSpec: hpa('autoscaleMin', 'autoscaleMax'),
    // istioctl patches the replicas onto the Deployment and keeps the HPA; a chart can only do one,
    // so the number asked for wins and the chart's autoscaler is turned off.
    replicaCount: (value, out) => void Object.assign(out, { replicaCount: value, autoscaleEnabled: false }),
  },
  cni: {
    affinity: as('affinity'),
    env: env(),
    podAnnotations: as('podAnnotations'),
    resources: as('resources'),
    tolerations: as('tolerations'),
    imagePullPolicy: as('pullPolicy'),
  },
  ztunnel: {
    affinity: as('affinity'),
    env: env(),
    nodeSelector: as('nodeSelector'),
    podAnnotations: as('podAnnotations'),
    resources: as('resources'),
    tolerations: as('tolerations'),
    volumes: as('volumes'),
    volumeMounts: as('volumeMounts'),
    imagePullPolicy: as('imagePullPolicy'),
  },
};

function translateK8s(table: Partial<Record<string, Translate>>, k8s: unknown, where: string): Tree {
  const out: Tree = {};
  if (!isTree(k8s)) return out;
  for (const [key, value] of Object.entries(k8s)) {
    if (value === null || value === undefined) continue;
    const translate = table[key];
    if (!translate) throw cannot(`${where}.k8s.${key}`, 'the chart has no value for it');
    translate(value, out, `${where}.k8s`);
  }
  return out;
}

export function chartK8sValues(chart: Exclude<ChartName, 'gateway'>, k8s: unknown, where: string): Tree {
  return translateK8s(CHART_K8S[chart], k8s, where);
}

/** Service settings the gateway chart's `service` value takes (its values schema is strict). */
const GATEWAY_SERVICE_FIELDS = new Set([
  'type',
  'ports',
  'loadBalancerIP',
  'loadBalancerSourceRanges',
  'externalTrafficPolicy',
  'ipFamilies',
  'ipFamilyPolicy',
  'healthCheckNodePort',
]);

const GATEWAY_K8S: Partial<Record<string, Translate>> = {
  affinity: as('affinity'),
  env: env('envVarFrom'),
  nodeSelector: as('nodeSelector'),
  podAnnotations: as('podAnnotations'),
  resources: as('resources'),
  tolerations: as('tolerations'),
  volumes: as('volumes'),
  volumeMounts: as('volumeMounts'),
  imagePullPolicy: as('imagePullPolicy'),
  priorityClassName: as('priorityClassName'),
  readinessProbe: as('readinessProbe'),
  securityContext: as('securityContext'),
  strategy: as('strategy'),
  podDisruptionBudget: as('podDisruptionBudget'),
  hpaSpec: (value, out, where) => {
    const scaling: Tree = {};
    hpa('minReplicas', 'maxReplicas')(value, scaling, where);
    out.autoscaling = { ...(out.autoscaling ?? {}), ...scaling };
  },
  replicaCount: (value, out) =>
    void Object.assign(out, { replicaCount: value, autoscaling: { ...((out.autoscaling as Tree | undefined) ?? {}), enabled: false } }),
  service: (value, out, where) => {
    const service = (value ?? {}) as Tree;
    for (const key of Object.keys(service))
      if (!GATEWAY_SERVICE_FIELDS.has(key)) throw cannot(`${where}.service.${key}`, "the gateway chart's service value has no such field");
    out.service = { ...(out.service ?? {}), ...service };
  },
  serviceAnnotations: (value, out) => void (out.service = { ...(out.service ?? {}), annotations: value }),
  overlays: (_value, _out, where) => {
    throw cannot(`${where}.overlays`, 'the gateway chart takes no patches, nor a hostNetwork value (what --ingress-host-network needs)');
  },
};

/**
 * The legacy `values.gateways.istio-ingressgateway.*` settings istioctl's gateway charts read, as
 * the `gateway` chart spells them; a setting with no equivalent is refused by name.
 */
const LEGACY_GATEWAY_VALUES: Partial<Record<string, Translate>> = {
  type: (value, out) => void (out.service = { ...(out.service ?? {}), type: value }),
  ports: (value, out) => void (out.service = { ...(out.service ?? {}), ports: value }),
  serviceAnnotations: (value, out) => void (out.service = { ...(out.service ?? {}), annotations: value }),
  loadBalancerIP: (value, out) => void (out.service = { ...(out.service ?? {}), loadBalancerIP: value }),
  loadBalancerSourceRanges: (value, out) => void (out.service = { ...(out.service ?? {}), loadBalancerSourceRanges: value }),
  externalTrafficPolicy: (value, out) => void (out.service = { ...(out.service ?? {}), externalTrafficPolicy: value }),
  autoscaleEnabled: (value, out) => void (out.autoscaling = { ...(out.autoscaling ?? {}), enabled: value }),
  autoscaleMin: (value, out) => void (out.autoscaling = { ...(out.autoscaling ?? {}), minReplicas: value }),
  autoscaleMax: (value, out) => void (out.autoscaling = { ...(out.autoscaling ?? {}), maxReplicas: value }),
  resources: as('resources'),
  podAnnotations: as('podAnnotations'),
  nodeSelector: as('nodeSelector'),
  tolerations: as('tolerations'),
  env: as('env'),
  labels: as('labels'),
  replicaCount: as('replicaCount'),
  runAsRoot: as('runAsRoot'),
  // Settings the legacy chart reads that the gateway chart already decides for itself.
  name: () => undefined,
  enabled: () => undefined,
};

export function gatewayValues(
  kind: 'ingressGateways' | 'egressGateways',
  name: string,
  c: EffectiveComponent,
  shared: Tree,
  where: string,
): Tree {
  const legacyKey = kind === 'ingressGateways' ? 'istio-ingressgateway' : 'istio-egressgateway';
  let out: Tree = {};
  // Chart-wide values the gateway chart reads too; its strict schema refuses the rest.
  for (const key of ['global', 'profile', 'revision', 'compatibilityVersion', 'platform', 'defaultRevision'] as const)
    if (shared[key] !== undefined) out[key] = shared[key];
  out.service = { type: kind === 'ingressGateways' ? 'LoadBalancer' : 'ClusterIP' };
  const legacy = isTree(shared.gateways) ? shared.gateways[legacyKey] : undefined;
  if (isTree(legacy)) {
    const mapped: Tree = {};
    for (const [key, value] of Object.entries(legacy)) {
      if (value === null || value === undefined) continue;
      const translate = LEGACY_GATEWAY_VALUES[key];
      if (!translate) throw cannot(`values.gateways.${legacyKey}.${key}`, 'the gateway chart has no equivalent');
      translate(value, mapped, `values.gateways.${legacyKey}`);
    }
    out = mergeFrom(out, mapped);
  }
  if (isTree(c.spec.label) && Object.keys(c.spec.label).length) out.labels = { ...(out.labels ?? {}), ...c.spec.label };
  out = mergeFrom(out, translateK8s(GATEWAY_K8S, c.spec.k8s, where));
  out.name = name;
  return out;
}
