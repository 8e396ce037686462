import { usageError } from '../errors.js';
import { inline, isTree, mergeFrom, sortKeys, type Tree } from '../profiles/merge.js';
import type { Profile } from '../profiles/schema.js';
import type { EffectiveComponent } from './effective.js';
import { chartK8sValues, gatewayValues } from './helm-k8s.js';
import type { InstallContents } from './workloads.js';
import type { ChartName, HelmRelease } from './charts.js';

/**
 * The values every chart gets, as istioctl gives them (MergeInputs): the named Istio profile's
 * own values (`profile: demo`, `global.platform: openshift`; the default profile's values are
 * the charts' defaults already), then istioctl's translations of the user's top-level fields,
 * then the user's `values`, then `unvalidatedValues`. Nothing of Istio's defaults is restated.
 */
export function sharedChartValues(profile: Profile, contents: InstallContents): Tree {
  let values: Tree = structuredClone(contents.profileValues);
  const spec = profile.spec;
  const translated: Tree = {};
  if (spec.hub !== undefined) translated.global = { hub: spec.hub };
  if (spec.tag !== undefined)
    translated.global = { ...(translated.global as Tree | undefined), tag: spec.tag === null ? null : String(spec.tag) };
  if (spec.revision !== undefined) translated.revision = spec.revision;
  if (spec.compatibilityVersion !== undefined) translated.compatibilityVersion = spec.compatibilityVersion;
  if (spec.meshConfig !== undefined) translated.meshConfig = spec.meshConfig;
  // istioctl tells istiod's chart that CNI is installed, so injected pods skip the istio-init container.
  if (contents.components.some((c) => c.component === 'cni')) translated.pilot = { cni: { enabled: true } };
  values = mergeFrom(values, translated);
  if (isTree(spec.values)) values = mergeFrom(values, spec.values);
  if (isTree(spec.unvalidatedValues)) values = mergeFrom(values, spec.unvalidatedValues);
  return values;
}

/**
 * istioctl's FlattenValues for the ztunnel chart: `global`, the top-level scalars, and
 * `values.ztunnel.*` lifted to the top, because that chart reads `resources`, not `ztunnel.resources`.
 */
function flattenFor(root: string, values: Tree): Tree {
  const out: Tree = {};
  if (values.global !== undefined) out.global = values.global;
  for (const [key, value] of Object.entries(values)) if (!isTree(value) && key !== 'global') out[key] = value;
  return isTree(values[root]) ? mergeFrom(out, values[root]) : out;
}

function imageValues(component: EffectiveComponent, where: string): Tree {
  const out: Tree = {};
  if (component.spec.hub !== undefined && component.spec.hub !== null) out.hub = component.spec.hub;
  if (component.spec.tag !== undefined && component.spec.tag !== null) out.tag = inline(component.spec.tag);
  if (Object.keys(out).length && component.component.endsWith('Gateways'))
    throw usageError(
      `the helm backend cannot express ${where}.hub/tag: the gateway chart's proxy image comes from istiod's injection`,
      'set values.global.hub/tag, or use --backend istioctl',
    );
  return out;
}

export function renderHelmReleases(profile: Profile, contents: InstallContents): HelmRelease[] {
  const shared = sharedChartValues(profile, contents);
  const releases: HelmRelease[] = [];
  const add = (chart: ChartName, release: string, namespace: string, values: Tree) =>
    releases.push({ chart, release, namespace, values: sortKeys(values) });
  const byKind = (kind: EffectiveComponent['component']) => contents.components.filter((c) => c.component === kind);

  for (const c of byKind('base')) {
    chartK8sValues('base', c.spec.k8s, 'components.base');
    add('base', 'istio-base', c.namespace, shared);
  }
  for (const c of byKind('pilot')) {
    const own = { ...imageValues(c, 'components.pilot'), ...chartK8sValues('istiod', c.spec.k8s, 'components.pilot') };
    const values = Object.keys(own).length ? mergeFrom(shared, { pilot: own }) : shared;
    add('istiod', contents.revision ? `istiod-${contents.revision}` : 'istiod', c.namespace, values);
  }
  for (const c of byKind('cni')) {
    const own = { ...imageValues(c, 'components.cni'), ...chartK8sValues('cni', c.spec.k8s, 'components.cni') };
    add('cni', 'istio-cni', c.namespace, Object.keys(own).length ? mergeFrom(shared, { cni: own }) : shared);
  }
  for (const c of byKind('ztunnel')) {
    const own = { ...imageValues(c, 'components.ztunnel'), ...chartK8sValues('ztunnel', c.spec.k8s, 'components.ztunnel') };
    add('ztunnel', 'ztunnel', c.namespace, mergeFrom(flattenFor('ztunnel', shared), own));
  }
  for (const kind of ['ingressGateways', 'egressGateways'] as const) {
    for (const c of byKind(kind)) {
      const name = c.name ?? (kind === 'ingressGateways' ? 'istio-ingressgateway' : 'istio-egressgateway');
      const where = `components.${kind}[name:${name}]`;
      imageValues(c, where);
      add('gateway', name, c.namespace, gatewayValues(kind, name, c, shared, where));
    }
  }
  return releases;
}
