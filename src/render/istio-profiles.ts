import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { usageError } from '../errors.js';
import { mergeFrom, type Tree } from '../profiles/merge.js';
import { YAML_OPTIONS } from '../profiles/load.js';

/**
 * Istio 1.31's own profiles (manifests/profiles/*.yaml, embedded in istioctl), as data. mesh
 * never hands these to istioctl — istioctl applies its own copy — it only reads them to know
 * what an install will contain (which workloads to wait for, which charts the helm backend
 * installs, what `profile show --effective` prints). A unit test holds this copy against the
 * testbed's Istio source, and an Istio release directory (`installPackagePath`) overrides it.
 */
export const ISTIO_1_31_PROFILES: Record<string, Tree> = {
  default: {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { namespace: 'istio-system' },
    spec: {
      hub: 'registry.istio.io/testing',
      tag: 'latest',
      components: {
        base: { enabled: true },
        pilot: { enabled: true },
        ingressGateways: [{ name: 'istio-ingressgateway', enabled: true }],
        egressGateways: [{ name: 'istio-egressgateway', enabled: false }],
      },
      values: {
        defaultRevision: '',
        global: { istioNamespace: 'istio-system', configValidation: true },
        gateways: { 'istio-ingressgateway': {}, 'istio-egressgateway': {} },
        ztunnel: { resourceName: 'ztunnel' },
      },
    },
  },
  demo: {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    spec: { components: { egressGateways: [{ name: 'istio-egressgateway', enabled: true }] }, values: { profile: 'demo' } },
  },
  minimal: {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    spec: { components: { ingressGateways: [{ name: 'istio-ingressgateway', enabled: false }] } },
  },
  empty: {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    spec: {
      components: {
        base: { enabled: false },
        pilot: { enabled: false },
        ingressGateways: [{ name: 'istio-ingressgateway', enabled: false }],
      },
    },
  },
  ambient: {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    spec: {
      components: {
        cni: { enabled: true },
        ztunnel: { enabled: true },
        ingressGateways: [{ name: 'istio-ingressgateway', enabled: false }],
      },
      values: { profile: 'ambient' },
    },
  },
  remote: {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    spec: {
      components: {
        base: { enabled: true },
        pilot: { enabled: true },
        ingressGateways: [{ name: 'istio-ingressgateway', enabled: false }],
      },
      values: { profile: 'remote' },
    },
  },
  preview: { apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', spec: { values: { profile: 'preview' } } },
  stable: { apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', spec: { values: { profile: 'stable' } } },
  openshift: {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    spec: { components: { cni: { enabled: true, namespace: 'kube-system' } }, values: { global: { platform: 'openshift' } } },
  },
  'openshift-ambient': {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    spec: {
      components: {
        cni: { enabled: true, namespace: 'kube-system' },
        ztunnel: { enabled: true, namespace: 'kube-system' },
        ingressGateways: [{ name: 'istio-ingressgateway', enabled: false }],
      },
      values: { profile: 'ambient', global: { platform: 'openshift' } },
    },
  },
};

/** Where Istio's profiles come from: the copy above, or `<dir>/profiles` of an Istio release's manifests. */
export interface ProfileSource {
  /** A directory holding `profiles/<name>.yaml` (istioctl's installPackagePath, or a release's `manifests`). */
  manifestsDir?: string;
}

function readIstioProfile(name: string, source: ProfileSource): Tree {
  if (!source.manifestsDir) {
    const known = ISTIO_1_31_PROFILES[name];
    if (!known)
      throw usageError(
        `spec.profile: Istio profile "${name}" not found`,
        `Istio 1.31's profiles are ${Object.keys(ISTIO_1_31_PROFILES).sort().join(', ')}`,
      );
    return structuredClone(known);
  }
  const path = join(source.manifestsDir, 'profiles', `${name}.yaml`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw usageError(`spec.profile: Istio profile "${name}" not found: no ${path}`, 'check spec.profile and spec.installPackagePath');
  }
  const doc: unknown = parse(text, YAML_OPTIONS);
  return typeof doc === 'object' && doc !== null ? (doc as Tree) : {};
}

/** The values a named Istio profile sets itself (`profile: demo`), without the default profile under it. */
export function istioProfileOwnValues(name: string, source: ProfileSource = {}): Tree {
  if (name === 'default' || name === '') return {};
  const values = (readIstioProfile(name, source).spec as Tree | undefined)?.values;
  return typeof values === 'object' && values !== null && !Array.isArray(values) ? (values as Tree) : {};
}

/** istioctl's readProfile: every profile is the default profile with the named one merged on top. */
export function istioProfileBase(name: string, source: ProfileSource = {}): Tree {
  const base = readIstioProfile('default', source);
  return name === 'default' || name === '' ? base : mergeFrom(base, readIstioProfile(name, source));
}
