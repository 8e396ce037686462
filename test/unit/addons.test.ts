import { describe, expect, it } from 'vitest';
import { checkAddonNames, formatRef, parseAddon, type AddonObject } from '../../src/addons/catalog.js';
import { buildAddonsInstallPlan, buildAddonsUninstallPlan, checkNoSharedObjects, rolloutsOf } from '../../src/plan/addons.js';
import type { RecordedAddon } from '../../src/plan/record.js';
import { CliError } from '../../src/errors.js';

const MANIFEST = `apiVersion: v1
kind: ServiceAccount
metadata: { name: kiali, namespace: istio-system }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: kiali }
---
# a comment-only document
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: kiali, namespace: istio-system }
spec: { replicas: 1 }
`;

function usage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    return `${(error as Error).message}\nhint: ${(error as CliError).hint}`;
  }
  throw new Error('expected a usage error');
}

const recorded = (name: string, objects: AddonObject[]): RecordedAddon => ({
  name,
  source: `${name}.yaml`,
  objects: objects.map(({ apiVersion, kind, namespace, name: n }) => ({ apiVersion, kind, ...(namespace ? { namespace } : {}), name: n })),
  installedAt: '2026-11-29T00:00:00Z',
});

describe('addon manifests', () => {
  it('parses the objects in file order, skipping empty documents', () => {
    const objects = parseAddon('kiali', 'kiali.yaml', MANIFEST, 'istio-system');
    expect(objects.map(formatRef)).toEqual(['ServiceAccount/istio-system/kiali', 'ClusterRole/kiali', 'Deployment/istio-system/kiali']);
    expect(rolloutsOf(objects)).toEqual([{ kind: 'Deployment', namespace: 'istio-system', name: 'kiali' }]);
  });

  it('refuses to move the samples into another Istio namespace, naming the one they use', () => {
    expect(usage(() => parseAddon('kiali', 'kiali.yaml', MANIFEST, 'mesh-system'))).toMatch(
      /addon kiali: its manifest installs into istio-system, not the Istio namespace mesh-system\nhint: .*-n istio-system/,
    );
  });

  it.each([
    ['a YAML error', 'kind: [unclosed'],
    ['a document that is no object', 'apiVersion: v1\nkind: ConfigMap\n---\n- a list\n'],
    ['nothing at all', '# empty\n'],
  ])('calls a release file with %s damaged', (_name, text) => {
    expect(usage(() => parseAddon('grafana', '/r/samples/addons/grafana.yaml', text, 'istio-system'))).toMatch(
      /^\/r\/samples\/addons\/grafana\.yaml: [\s\S]*hint: the release directory looks damaged/,
    );
  });

  it('knows the addon names, and says which it knows', () => {
    expect(checkAddonNames(['kiali', 'prometheus', 'kiali'])).toEqual(['kiali', 'prometheus']);
    expect(usage(() => checkAddonNames(['kaili']))).toBe(
      'addon kaili: unknown\nhint: mesh knows: prometheus, grafana, kiali, jaeger, zipkin, loki',
    );
    expect(usage(() => checkAddonNames([]))).toMatch(/name at least one addon/);
  });
});

describe('addon plans', () => {
  const tracing = (name: string) =>
    parseAddon(
      name,
      `${name}.yaml`,
      `apiVersion: v1\nkind: Service\nmetadata: { name: tracing, namespace: istio-system }\n`,
      'istio-system',
    );

  it('refuses two addons that ship the same object (Istio jaeger and zipkin both define Service tracing)', () => {
    const wanted = [
      { name: 'jaeger', source: 'j', objects: tracing('jaeger') },
      { name: 'zipkin', source: 'z', objects: tracing('zipkin') },
    ];
    expect(usage(() => checkNoSharedObjects(wanted, []))).toMatch(/addons jaeger and zipkin both define Service\/istio-system\/tracing/);
    // ... also against one already installed, but not against the addon's own earlier install.
    expect(usage(() => checkNoSharedObjects([wanted[1]], [recorded('jaeger', tracing('jaeger'))]))).toContain(
      'mesh addons uninstall jaeger',
    );
    expect(() => checkNoSharedObjects([wanted[0]], [recorded('jaeger', tracing('jaeger'))])).not.toThrow();
  });

  it('install plans list every object and what is waited for; uninstall deletes in reverse, sparing what a kept addon owns', () => {
    const objects = parseAddon('kiali', 'kiali.yaml', MANIFEST, 'istio-system');
    const install = buildAddonsInstallPlan({
      addons: [{ name: 'kiali', source: 'kiali.yaml', objects }],
      istioNamespace: 'istio-system',
      release: '/r',
    });
    expect(install.addons[0]).toEqual({
      name: 'kiali',
      source: 'kiali.yaml',
      objects: ['ServiceAccount/istio-system/kiali', 'ClusterRole/kiali', 'Deployment/istio-system/kiali'],
      waitFor: ['Deployment/istio-system/kiali'],
    });
    const other = recorded('other', objects.slice(1, 2));
    const uninstall = buildAddonsUninstallPlan({ remove: [recorded('kiali', objects)], keep: [other], istioNamespace: 'istio-system' });
    expect(uninstall.addons[0].objects).toEqual(['Deployment/istio-system/kiali', 'ServiceAccount/istio-system/kiali']);
  });
});
