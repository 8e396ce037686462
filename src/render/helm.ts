import { usageError } from '../errors.js';
import { sortKeys, isTree, type Tree } from '../profiles/merge.js';
import type { K8sSettings, Profile } from '../profiles/schema.js';
import type { RenderOptions } from './istioctl.js';
import { enabledGateways, revisionOf } from './workloads.js';

export type ChartName = 'base' | 'istiod' | 'cni' | 'ztunnel' | 'gateway';

/** One `helm upgrade --install`: which chart, as which release, where, with which values. */
export interface HelmRelease {
  chart: ChartName;
  release: string;
  namespace: string;
  values: Tree;
}

/** Where each chart lives inside Istio's source tree (manifests/charts), for `--charts <dir>`. */
export const LOCAL_CHART_PATHS: Record<ChartName, string> = {
  base: 'base',
  istiod: 'istio-control/istio-discovery',
  cni: 'istio-cni',
  ztunnel: 'ztunnel',
  gateway: 'gateway',
};

/**
 * Istio profiles the charts know (manifests/helm-profiles): default, minimal and empty are
 * istioctl-only names whose settings are already the chart defaults, so they pass no `profile`.
 */
const CHART_PROFILES = new Set(['ambient', 'demo', 'preview', 'remote', 'stable']);

/** The IstioOperator `values` keys that belong to another chart than istiod. */
const NOT_ISTIOD_KEYS = new Set(['gateways', 'cni', 'istio_cni', 'ztunnel', 'base']);

/**
 * Helm values for the component k8s settings the charts can express; anything else would be
 * silently dropped by Helm, so it is refused with the setting named (use the istioctl backend).
 */
function translateK8s(k8s: K8sSettings | undefined, where: string, supported: Array<keyof K8sSettings>): Tree {
  if (!k8s) return {};
  const out: Tree = {};
  for (const [key, value] of Object.entries(k8s) as Array<[keyof K8sSettings, unknown]>) {
    if (!supported.includes(key))
      throw usageError(
        `the helm backend cannot express ${where}.k8s.${key}`,
        `use --backend istioctl, or set the chart's own value under values with --set`,
      );
    if (key === 'env') out.env = Object.fromEntries((value as Array<{ name: string; value?: unknown }>).map((e) => [e.name, e.value ?? '']));
    else if (key === 'service') {
      const service = value as NonNullable<K8sSettings['service']>;
      out.service = { ...(service.type ? { type: service.type } : {}), ...(service.ports ? { ports: service.ports } : {}) };
      if (service.loadBalancerIP || service.externalTrafficPolicy)
        throw usageError(`the helm backend cannot express ${where}.k8s.service.${service.loadBalancerIP ? 'loadBalancerIP' : 'externalTrafficPolicy'}`, 'use --backend istioctl');
    } else out[key] = value;
  }
  return out;
}

export function renderHelmReleases(profile: Profile, options: RenderOptions): HelmRelease[] {
  const spec = profile.spec;
  const c = spec.components ?? {};
  const values = (spec.values ?? {}) as Tree;
  const ns = options.istioNamespace;
  const revision = revisionOf(profile);
  const image = (hub?: string, tag?: string): Tree => ({ ...(hub ? { hub } : {}), ...(tag ? { tag } : {}) });
  const global: Tree = { ...((values.global as Tree | undefined) ?? {}), istioNamespace: ns, ...image(spec.hub, spec.tag) };
  const chartProfile: Tree = CHART_PROFILES.has(profile.istioProfile) ? { profile: profile.istioProfile } : {};
  const common: Tree = { ...chartProfile, global, ...(revision ? { revision } : {}) };
  const releases: HelmRelease[] = [];
  const add = (chart: ChartName, release: string, namespace: string, chartValues: Tree) =>
    releases.push({ chart, release, namespace, values: sortKeys(chartValues) });

  if (c.base?.enabled) {
    if (c.base.k8s) translateK8s(c.base.k8s, 'components.base', []);
    add('base', 'istio-base', ns, {
      ...chartProfile,
      global: { istioNamespace: ns },
      ...(values.defaultRevision !== undefined ? { defaultRevision: values.defaultRevision } : {}),
      ...(isTree(values.base) ? { base: values.base } : {}),
    });
  }
  if (c.pilot?.enabled) {
    const istiodValues: Tree = { ...common };
    for (const [key, value] of Object.entries(values)) if (!NOT_ISTIOD_KEYS.has(key) && key !== 'global') istiodValues[key] = value;
    const pilot = {
      ...((values.pilot as Tree | undefined) ?? {}),
      ...image(c.pilot.hub, c.pilot.tag),
      ...translateK8s(c.pilot.k8s, 'components.pilot', ['nodeSelector', 'replicaCount', 'resources', 'env', 'tolerations', 'affinity', 'podAnnotations']),
    };
    if (c.pilot.k8s?.replicaCount !== undefined) pilot.autoscaleEnabled = false;
    if (Object.keys(pilot).length) istiodValues.pilot = pilot;
    if (spec.meshConfig) istiodValues.meshConfig = spec.meshConfig;
    add('istiod', revision ? `istiod-${revision}` : 'istiod', c.pilot.namespace ?? ns, istiodValues);
  }
  if (c.cni?.enabled) {
    const cni = { ...common, ...((values.cni as Tree | undefined) ?? {}), ...translateK8s(c.cni.k8s, 'components.cni', ['resources']) };
    add('cni', 'istio-cni', c.cni.namespace ?? ns, cni);
  }
  if (c.ztunnel?.enabled) {
    const ztunnel = { ...common, ...((values.ztunnel as Tree | undefined) ?? {}), ...translateK8s(c.ztunnel.k8s, 'components.ztunnel', ['resources', 'nodeSelector', 'tolerations', 'env']) };
    add('ztunnel', 'ztunnel', c.ztunnel.namespace ?? ns, ztunnel);
  }
  for (const g of enabledGateways(profile)) {
    const where = `components.${g.type}Gateways[name:${g.name}]`;
    const k8s = translateK8s(g.k8s, where, ['nodeSelector', 'replicaCount', 'resources', 'env', 'tolerations', 'affinity', 'podAnnotations', 'service', 'serviceAnnotations']);
    const { service, serviceAnnotations, ...rest } = k8s as Tree & { service?: Tree; serviceAnnotations?: Tree };
    const gateway: Tree = {
      ...common,
      ...rest,
      service: { type: g.type === 'ingress' ? 'LoadBalancer' : 'ClusterIP', ...(service ?? {}), ...(serviceAnnotations ? { annotations: serviceAnnotations } : {}) },
      ...(g.label ? { labels: g.label } : {}),
      ...(rest.replicaCount !== undefined ? { autoscaling: { enabled: false } } : {}),
    };
    add('gateway', g.name, g.namespace ?? ns, gateway);
  }
  return releases;
}
