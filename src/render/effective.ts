import { getPath, isTree, mergeFrom, type Tree } from '../profiles/merge.js';
import type { Profile } from '../profiles/schema.js';
import { istioProfileBase, type ProfileSource } from './istio-profiles.js';

/**
 * What istioctl makes of the user's intent before it renders any chart (istio/operator/pkg/render
 * MergeInputs and Component.Get), computed the same way so mesh knows what an install contains
 * without asking istioctl: Istio's profile, then the user's layers, then istioctl's translations.
 */
export function effectiveIstioOperator(profile: Profile, source: ProfileSource = {}): Tree {
  const user: Tree = { spec: profile.spec, ...(Object.keys(profile.metadata).length ? { metadata: profile.metadata } : {}) };
  const base = istioProfileBase(profile.istioProfile, source);
  // istioctl replaces the profile's hub and tag with the ones it was built with; mesh cannot know
  // those without running it, so the effective view leaves them out unless the user set them.
  if (isTree(base.spec)) {
    delete base.spec.hub;
    delete base.spec.tag;
  }
  const merged = mergeFrom(base, user);
  const spec = merged.spec as Tree;
  const values: Tree = isTree(spec.values) ? spec.values : (spec.values = {});
  // translateIstioOperatorToHelm: top-level fields become chart values.
  const translations: Array<[string, string]> = [
    ['hub', 'global.hub'],
    ['tag', 'global.tag'],
    ['revision', 'revision'],
    ['compatibilityVersion', 'compatibilityVersion'],
  ];
  for (const [from, to] of translations)
    if (spec[from] !== undefined) setValue(values, to, typeof spec[from] === 'number' ? String(spec[from]) : spec[from]);
  if (spec.meshConfig !== undefined)
    values.meshConfig =
      isTree(spec.meshConfig) && isTree(values.meshConfig) ? mergeFrom(values.meshConfig, spec.meshConfig) : spec.meshConfig;
  setValue(values, 'pilot.enabled', getPath(spec, ['components', 'pilot', 'enabled']) === true);
  setValue(values, 'pilot.cni.enabled', getPath(spec, ['components', 'cni', 'enabled']) === true);
  const istioNamespace = getPath(values, ['global', 'istioNamespace']);
  if (typeof istioNamespace === 'string' && istioNamespace)
    merged.metadata = { ...(isTree(merged.metadata) ? merged.metadata : {}), namespace: istioNamespace };
  // The user's own values win over the translations, then unvalidatedValues over everything.
  if (isTree(profile.spec.values)) spec.values = mergeFrom(values, profile.spec.values);
  if (isTree(profile.spec.unvalidatedValues)) spec.values = mergeFrom(spec.values as Tree, profile.spec.unvalidatedValues);
  return merged;
}

function setValue(values: Tree, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = values;
  for (const key of keys.slice(0, -1)) {
    if (!isTree(node[key])) node[key] = {};
    node = node[key] as Tree;
  }
  node[keys.at(-1)!] = value;
}

export type ComponentName = 'base' | 'pilot' | 'cni' | 'ztunnel' | 'ingressGateways' | 'egressGateways';

/** One component istioctl will render (gateway lists give one per enabled gateway). */
export interface EffectiveComponent {
  component: ComponentName;
  namespace: string;
  /** The gateway's name (its Deployment); absent for other components. */
  name?: string;
  /** The component's own settings as the user's IstioOperator gives them (k8s, hub, tag, label). */
  spec: Tree;
}

const COMPONENT_ORDER: Array<{ component: ComponentName; enabledByDefault: boolean; altEnablement?: string }> = [
  { component: 'base', enabledByDefault: true },
  { component: 'pilot', enabledByDefault: true },
  { component: 'ingressGateways', enabledByDefault: true, altEnablement: 'istio-ingressgateway' },
  { component: 'egressGateways', enabledByDefault: false, altEnablement: 'istio-egressgateway' },
  { component: 'cni', enabledByDefault: false },
  { component: 'ztunnel', enabledByDefault: false },
];

/** The namespace components go to unless they name their own (metadata.namespace after translation). */
export function effectiveNamespace(effective: Tree): string {
  const ns = getPath(effective, ['metadata', 'namespace']);
  return typeof ns === 'string' && ns ? ns : 'istio-system';
}

/**
 * istioctl's Component.Get over the effective IstioOperator: a component is on when its key is an
 * object whose `enabled` is not false (or absent and on by default), a gateway list entry is on
 * unless `enabled: false`, and `values.gateways.<gateway>.enabled: true` turns a gateway kind on.
 */
export function effectiveComponents(effective: Tree): EffectiveComponent[] {
  const defaultNs = effectiveNamespace(effective);
  const components = getPath(effective, ['spec', 'components']);
  const out: EffectiveComponent[] = [];
  for (const { component, enabledByDefault, altEnablement } of COMPONENT_ORDER) {
    const altEnabled = altEnablement !== undefined && getPath(effective, ['spec', 'values', 'gateways', altEnablement, 'enabled']) === true;
    const nsOf = (spec: Tree) => (typeof spec.namespace === 'string' && spec.namespace ? spec.namespace : defaultNs);
    const present = isTree(components) && components[component] !== undefined;
    if (component === 'ingressGateways' || component === 'egressGateways') {
      const list = present ? components[component] : undefined;
      if (!present) {
        if (enabledByDefault || altEnabled) out.push({ component, namespace: defaultNs, spec: {} });
        continue;
      }
      for (const item of Array.isArray(list) ? list : []) {
        const spec = isTree(item) ? item : {};
        if (spec.enabled !== false || altEnabled)
          out.push({ component, namespace: nsOf(spec), ...(typeof spec.name === 'string' ? { name: spec.name } : {}), spec });
      }
      continue;
    }
    const spec = present ? components[component] : undefined;
    if (!isTree(spec)) {
      if (enabledByDefault || altEnabled) out.push({ component, namespace: defaultNs, spec: {} });
      continue;
    }
    if (spec.enabled !== false || altEnabled) out.push({ component, namespace: nsOf(spec), spec });
  }
  return out;
}
