import { getPath, type Tree } from '../profiles/merge.js';
import type { Profile } from '../profiles/schema.js';
import { effectiveComponents, effectiveIstioOperator, effectiveNamespace, type EffectiveComponent } from './effective.js';
import { istioProfileOwnValues, type ProfileSource } from './istio-profiles.js';

/** A Kubernetes workload an install owns and waits for (StatefulSets come with addons). */
export interface WorkloadRef {
  kind: 'Deployment' | 'DaemonSet' | 'StatefulSet';
  namespace: string;
  name: string;
}

export const formatWorkload = (w: WorkloadRef): string => `${w.kind}/${w.namespace}/${w.name}`;

/** The revision the install runs under ('' for the default revision), as the charts read it. */
export function revisionOf(effective: Tree): string {
  const revision = getPath(effective, ['spec', 'values', 'revision']);
  return typeof revision === 'string' || typeof revision === 'number' ? String(revision) : '';
}

const stringValue = (tree: Tree, path: string[], fallback: string): string => {
  const value = getPath(tree, path);
  return typeof value === 'string' && value ? value : fallback;
};

/**
 * The Deployment or DaemonSet a component's chart creates, as Istio 1.31's templates name them:
 * istiod[-<revision>] (none when istiodRemote leaves the control plane to a primary cluster),
 * istio-cni-node, ztunnel (or values.ztunnel.resourceName), and each gateway under its name.
 */
export function workloadOf(component: EffectiveComponent, effective: Tree): WorkloadRef | undefined {
  const values = (getPath(effective, ['spec', 'values']) ?? {}) as Tree;
  const scope = stringValue(values, ['global', 'resourceScope'], 'all');
  if (scope !== 'all' && scope !== 'namespace') return undefined;
  const ns = component.namespace;
  switch (component.component) {
    case 'base':
      return undefined;
    case 'pilot': {
      const remote = getPath(values, ['istiodRemote', 'enabled']) ?? getPath(values, ['profile']) === 'remote';
      if (remote === true && getPath(values, ['istiodRemote', 'enabledLocalInjectorIstiod']) !== true) return undefined;
      const revision = revisionOf(effective);
      return { kind: 'Deployment', namespace: ns, name: revision ? `istiod-${revision}` : 'istiod' };
    }
    case 'cni':
      return { kind: 'DaemonSet', namespace: ns, name: 'istio-cni-node' };
    case 'ztunnel':
      return { kind: 'DaemonSet', namespace: ns, name: stringValue(values, ['ztunnel', 'resourceName'], 'ztunnel') };
    case 'ingressGateways':
    case 'egressGateways': {
      const fallback = component.component === 'ingressGateways' ? 'istio-ingressgateway' : 'istio-egressgateway';
      return { kind: 'Deployment', namespace: ns, name: component.name ?? fallback };
    }
  }
}

/** What an install of this profile contains, worked out as istioctl works it out. */
export interface InstallContents {
  effective: Tree;
  istioNamespace: string;
  revision: string;
  components: EffectiveComponent[];
  /** The Deployments and DaemonSets the install creates, in install order. */
  workloads: WorkloadRef[];
  /** The values the named Istio profile sets itself: what the charts' `profile` stands for, and more (openshift). */
  profileValues: Tree;
}

export function installContents(profile: Profile, source: ProfileSource = {}): InstallContents {
  const installPackagePath =
    typeof profile.spec.installPackagePath === 'string' && profile.spec.installPackagePath ? profile.spec.installPackagePath : undefined;
  if (installPackagePath) source = { manifestsDir: installPackagePath };
  const effective = effectiveIstioOperator(profile, source);
  const components = effectiveComponents(effective);
  return {
    effective,
    istioNamespace: effectiveNamespace(effective),
    revision: revisionOf(effective),
    components,
    workloads: components.flatMap((c) => workloadOf(c, effective) ?? []),
    profileValues: istioProfileOwnValues(profile.istioProfile, source),
  };
}
