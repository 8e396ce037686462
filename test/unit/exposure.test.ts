import { describe, expect, it } from 'vitest';
import { profileFromOptions } from '../../src/profiles/index.js';
import { applyExposure, parseNodePorts } from '../../src/render/exposure.js';
import type { ExposureOptions } from '../../src/cli/profile-input.js';
import { installContents } from '../../src/render/workloads.js';
import { renderHelmReleases } from '../../src/render/helm.js';
import { CliError } from '../../src/errors.js';
import type { Spec } from '../../src/profiles/schema.js';

const exposed = (profile: string, flags: ExposureOptions, set: string[] = [], filename: string[] = []) =>
  applyExposure(profileFromOptions({ profile, set, filename }), flags);
const ingress = (spec: Spec) => spec.components?.ingressGateways as Array<Record<string, unknown>>;

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    return `${error instanceof Error ? error.message : ''}\nhint: ${(error as CliError).hint}`;
  }
  throw new Error('expected a usage error');
}

describe('ingress exposure flags', () => {
  it('change nothing when not given', () => {
    const plain = profileFromOptions({ profile: 'demo' });
    expect(applyExposure(plain, { ingressNodePort: [], ingressNodeSelector: [], cniExcludeNamespace: [] })).toBe(plain);
  });

  it('--ingress-node-port names ports as the chart does (http = http2) and implies NodePort', () => {
    const spec = exposed('demo', { ingressNodePort: ['http=32000,https=32443'] }).spec;
    const [gateway] = ingress(spec);
    expect(gateway).toMatchObject({ name: 'istio-ingressgateway', k8s: { service: { type: 'NodePort' } } });
    const ports = (gateway.k8s as { service: { ports: Array<Record<string, unknown>> } }).service.ports;
    // demo's chart list has five ports: all kept, the two named get their node ports.
    expect(ports.map((p) => [p.name, p.port, p.targetPort, p.nodePort])).toEqual([
      ['status-port', 15021, 15021, undefined],
      ['http2', 80, 8080, 32000],
      ['https', 443, 8443, 32443],
      ['tcp', 31400, 31400, undefined],
      ['tls', 15443, 15443, undefined],
    ]);
    const defaults = ingress(exposed('default', { ingressNodePort: ['http=32000'] }).spec)[0].k8s as { service: { ports: unknown[] } };
    expect(defaults.service.ports).toHaveLength(3);
  });

  it('patches the port list the user wrote rather than the chart default, and keeps their other settings', () => {
    const spec = exposed('default', { ingressNodePort: ['8080=30080'] }, [
      'components.ingressGateways[0].name=istio-ingressgateway',
      'components.ingressGateways[0].k8s.service.ports[0].name=web',
      'components.ingressGateways[0].k8s.service.ports[0].port=8080',
      'components.ingressGateways[0].k8s.replicaCount=2',
    ]).spec;
    const [gateway] = ingress(spec);
    expect(gateway.k8s).toEqual({ replicaCount: 2, service: { type: 'NodePort', ports: [{ name: 'web', port: 8080, nodePort: 30080 }] } });
  });

  it('leaves disabled gateways of the list as they are, and keeps the list whole', () => {
    const spec = exposed('default', { ingressType: 'nodeport' }, [
      'components.ingressGateways[0].name=istio-ingressgateway',
      'components.ingressGateways[1].name=internal',
      'components.ingressGateways[1].enabled=false',
    ]).spec;
    expect(ingress(spec)).toEqual([
      { name: 'istio-ingressgateway', k8s: { service: { type: 'NodePort' } } },
      { name: 'internal', enabled: false },
    ]);
  });

  it('--ingress-host-network patches the Deployment (no k8s field says hostNetwork), with the DNS policy it needs', () => {
    const profile = exposed('demo', { ingressHostNetwork: true, ingressNodeSelector: ['node-role.kubernetes.io/edge=', 'zone=a'] });
    const [gateway] = ingress(profile.spec);
    expect(gateway.k8s).toEqual({
      nodeSelector: { 'node-role.kubernetes.io/edge': '', zone: 'a' },
      overlays: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'istio-ingressgateway',
          patches: [
            { path: 'spec.template.spec.hostNetwork', value: true },
            { path: 'spec.template.spec.dnsPolicy', value: 'ClusterFirstWithHostNet' },
          ],
        },
      ],
    });
    // The gateway chart has no such value: the helm backend refuses rather than drop it.
    expect(refusal(() => renderHelmReleases(profile, installContents(profile)))).toMatch(/k8s\.overlays.*hostNetwork/);
  });

  it('the helm backend gets the node ports as the gateway chart spells them', () => {
    const profile = exposed('demo', { ingressNodePort: ['https=32443'] });
    const gateway = renderHelmReleases(profile, installContents(profile)).find((r) => r.release === 'istio-ingressgateway')!;
    const service = gateway.values.service as { type: string; ports: Array<Record<string, unknown>> };
    expect(service.type).toBe('NodePort');
    expect(service.ports.find((p) => p.name === 'https')?.nodePort).toBe(32443);
  });

  it.each<[string, ExposureOptions, RegExp]>([
    ['no ingress gateway', { ingressType: 'NodePort' }, /--ingress-type: profile minimal installs no ingress gateway/],
    [
      'unknown type',
      { ingressType: 'External' },
      /--ingress-type External: not a gateway Service type[\s\S]*LoadBalancer, NodePort, ClusterIP/,
    ],
  ])('refuses %s', (_name, flags, message) => {
    expect(refusal(() => exposed(flags.ingressType === 'NodePort' ? 'minimal' : 'demo', flags))).toMatch(message);
  });

  it.each<[ExposureOptions, RegExp]>([
    [
      { ingressNodePort: ['htp=32000'] },
      /no port named or numbered htp[\s\S]*hint: its ports: status-port \(15021\), http2 \(80\), https \(443\)/,
    ],
    [{ ingressNodePort: ['http=70000'] }, /--ingress-node-port http=70000: expected/],
    [{ ingressNodePort: ['http'] }, /--ingress-node-port http: expected/],
    [{ ingressType: 'ClusterIP', ingressNodePort: ['http=32000'] }, /ClusterIP Service has no node ports/],
    [{ ingressNodeSelector: ['zone'] }, /--ingress-node-selector zone: expected a node label key=value/],
  ])('refuses %o', (flags, message) => {
    expect(refusal(() => exposed('demo', flags))).toMatch(message);
  });

  it('refuses node ports shared by two ingress gateways', () => {
    const sets = ['components.ingressGateways[0].name=a', 'components.ingressGateways[1].name=b'];
    expect(refusal(() => exposed('default', { ingressNodePort: ['http=32000'] }, sets))).toMatch(/2 ingress gateways \(a, b\)/);
  });
});

describe('CNI flags', () => {
  it('--cni puts the plugin in kube-system, leaving the Istio namespace and kube-system alone', () => {
    const profile = applyExposure(profileFromOptions({ profile: 'demo' }, { istioNamespace: 'mesh-system' }), { cni: true });
    expect(profile.spec.components?.cni).toEqual({ enabled: true, namespace: 'kube-system' });
    expect(profile.spec.values?.cni).toEqual({ excludeNamespaces: ['mesh-system', 'kube-system'] });
    expect(installContents(profile).workloads).toContainEqual({ kind: 'DaemonSet', namespace: 'kube-system', name: 'istio-cni-node' });
  });

  it('--cni-namespace and --cni-exclude-namespace (repeatable, comma lists) replace those defaults', () => {
    const spec = exposed('default', { cni: true, cniNamespace: 'istio-cni', cniExcludeNamespace: ['a,b', 'c', 'a'] }).spec;
    expect(spec.components?.cni).toEqual({ enabled: true, namespace: 'istio-cni' });
    expect(spec.values?.cni).toEqual({ excludeNamespaces: ['a', 'b', 'c'] });
  });

  it("keeps the user's own excludeNamespaces and namespace", () => {
    const spec = exposed('default', { cni: true }, ['components.cni.namespace=cni', 'values.cni.excludeNamespaces[0]=x']).spec;
    expect(spec.components?.cni).toEqual({ enabled: true, namespace: 'cni' });
    expect(spec.values?.cni).toEqual({ excludeNamespaces: ['x'] });
  });

  it('applies to a profile that has CNI already (ambient) without switching anything else on', () => {
    const spec = exposed('ambient', { cniExcludeNamespace: ['legacy'] }).spec;
    expect(spec.components?.cni).toBeUndefined();
    expect(spec.values?.cni).toEqual({ excludeNamespaces: ['legacy'] });
  });

  it.each<[ExposureOptions, string]>([
    [{ cniExcludeNamespace: ['x'] }, '--cni-exclude-namespace: the CNI plugin is not part of this install'],
    [{ cniNamespace: 'x' }, '--cni-namespace: the CNI plugin is not part of this install'],
  ])('refuses %o without --cni, and writes nothing that would switch it on', (flags, message) => {
    expect(refusal(() => exposed('demo', flags))).toContain(message);
  });
});

it('parseNodePorts accepts names, numbers and aliases', () => {
  expect([...parseNodePorts(['http=32000', 'HTTPS=32443,15021=31021'])]).toEqual([
    ['http2', 32000],
    ['https', 32443],
    ['15021', 31021],
  ]);
});
