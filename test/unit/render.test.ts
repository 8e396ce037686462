import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { profileFromOptions } from '../../src/profiles/index.js';
import { toYaml } from '../../src/profiles/load.js';
import { renderIstioOperator } from '../../src/render/istioctl.js';
import { renderHelmReleases } from '../../src/render/helm.js';
import { formatWorkload, installContents } from '../../src/render/workloads.js';
import { CliError } from '../../src/errors.js';

/** Golden files per profile x backend; regenerate with UPDATE_GOLDEN=1 and review the diff. */
const GOLDEN = join(import.meta.dirname, '..', 'golden');
const PROFILES: Array<[string, string[]]> = [
  ['default', []],
  ['demo', []],
  ['minimal', []],
  ['sds', []],
  ['empty', []],
  ['ambient', []],
  ['remote', ['values.global.remotePilotAddress=istiod.primary.example']],
];

function golden(name: string, text: string) {
  const path = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, text);
  expect(existsSync(path), `${path} missing: run with UPDATE_GOLDEN=1`).toBe(true);
  expect(text).toBe(readFileSync(path, 'utf8'));
}

const helm = (profile: ReturnType<typeof profileFromOptions>) => renderHelmReleases(profile, installContents(profile));

describe.each(PROFILES)('profile %s', (name, set) => {
  const profile = profileFromOptions({ profile: name, set });
  it('renders the IstioOperator golden file', () => golden(`${name}.istioctl.yaml`, toYaml(renderIstioOperator(profile))));
  it('renders the helm values golden file', () =>
    golden(
      `${name}.helm.yaml`,
      helm(profile)
        .map((r) => toYaml(r))
        .join('---\n'),
    ));
});

describe('rendering', () => {
  it('is byte-stable whatever the order keys were layered in', () => {
    const a = profileFromOptions({ profile: 'demo', set: ['values.pilot.env.B=2', 'values.pilot.env.A=1'] });
    const b = profileFromOptions({ profile: 'demo', set: ['values.pilot.env.A=1', 'values.pilot.env.B=2'] });
    expect(toYaml(renderIstioOperator(a))).toBe(toYaml(renderIstioOperator(b)));
  });

  it('quotes strings YAML 1.1 would read as something else', () => {
    const p = profileFromOptions({ profile: 'minimal', set: ['values.pilot.env.FLAG=yes', 'values.global.tag=1.20'] });
    const text = toYaml(renderIstioOperator(p));
    expect(text).toContain('FLAG: "yes"');
    expect(text).toContain('tag: "1.20"');
  });

  it("orders helm releases base, istiod, cni, ztunnel, gateways (the gateway chart needs istiod's injection)", () => {
    const p = profileFromOptions({ profile: 'ambient', set: ['components.ingressGateways[0].name=istio-ingressgateway'] });
    expect(helm(p).map((r) => r.chart)).toEqual(['base', 'istiod', 'cni', 'ztunnel', 'gateway']);
  });

  it("gives every chart the named profile, istioctl's translations and the user's values", () => {
    const p = profileFromOptions({ profile: 'ambient', set: ['hub=reg.example/istio', 'tag=1.31.0', 'values.pilot.traceSampling=3'] });
    const [base, istiod, cni, ztunnel] = helm(p);
    expect(base.values).toEqual({
      profile: 'ambient',
      global: { hub: 'reg.example/istio', tag: '1.31.0' },
      pilot: { cni: { enabled: true }, traceSampling: 3 },
    });
    expect(istiod.values).toEqual(base.values);
    expect(cni.values).toEqual(base.values);
    // ztunnel's chart reads flattened values, as istioctl hands them to it
    expect(ztunnel.values).toEqual({ profile: 'ambient', global: { hub: 'reg.example/istio', tag: '1.31.0' } });
  });

  it('translates component k8s settings into chart values', () => {
    const p = profileFromOptions({
      profile: 'minimal',
      set: [
        'components.pilot.k8s.nodeSelector.disk=ssd',
        'components.pilot.k8s.replicaCount=2',
        'components.pilot.k8s.env[0].name=X',
        'components.pilot.k8s.env[0].value=1',
      ],
    });
    const istiod = helm(p).find((r) => r.chart === 'istiod')!;
    expect(istiod.values.pilot).toEqual({ nodeSelector: { disk: 'ssd' }, replicaCount: 2, autoscaleEnabled: false, env: { X: 1 } });
  });

  it('maps gateways onto the gateway chart: name, labels, service, scaling', () => {
    const p = profileFromOptions({
      profile: 'default',
      set: [
        'components.ingressGateways[0].name=edge',
        'components.ingressGateways[0].label.team=web',
        'components.ingressGateways[0].k8s.service.type=NodePort',
        'components.ingressGateways[0].k8s.hpaSpec.maxReplicas=3',
      ],
    });
    expect(helm(p).find((r) => r.chart === 'gateway')).toEqual({
      chart: 'gateway',
      release: 'edge',
      namespace: 'istio-system',
      values: { autoscaling: { maxReplicas: 3 }, labels: { team: 'web' }, name: 'edge', service: { type: 'NodePort' } },
    });
  });

  it('refuses a setting the helm backend cannot express, naming it', () => {
    const p = profileFromOptions({ profile: 'minimal', set: ['components.pilot.k8s.overlays[0].kind=Deployment'] });
    expect(() => helm(p)).toThrow(CliError);
    expect(() => helm(p)).toThrow('the helm backend cannot express components.pilot.k8s.overlays');
  });
});

describe('what an install contains, worked out as istioctl works it out', () => {
  const workloads = (options: Parameters<typeof profileFromOptions>[0]) =>
    installContents(profileFromOptions(options)).workloads.map(formatWorkload);

  it('names the workloads of each Istio profile', () => {
    expect(workloads({ profile: 'demo' })).toEqual([
      'Deployment/istio-system/istiod',
      'Deployment/istio-system/istio-ingressgateway',
      'Deployment/istio-system/istio-egressgateway',
    ]);
    expect(workloads({ profile: 'ambient', set: ['revision=canary', 'values.global.istioNamespace=mesh'] })).toEqual([
      'Deployment/mesh/istiod-canary',
      'DaemonSet/mesh/istio-cni-node',
      'DaemonSet/mesh/ztunnel',
    ]);
    expect(workloads({ profile: 'remote', set: ['values.global.remotePilotAddress=x'] })).toEqual([]);
    expect(workloads({ profile: 'empty' })).toEqual([]);
  });

  it("follows istioctl's enablement rules", () => {
    // a component key without `enabled` is on; `pilot:` null falls back to on-by-default
    expect(workloads({ profile: 'minimal', set: ['components.cni.namespace=kube-system'] })).toContain(
      'DaemonSet/kube-system/istio-cni-node',
    );
    expect(workloads({ profile: 'empty', set: ['values.gateways.istio-egressgateway.enabled=true'] })).toEqual([
      'Deployment/istio-system/istio-egressgateway',
    ]);
    // lists replace: naming one gateway drops the profile's
    expect(workloads({ profile: 'default', set: ['components.ingressGateways[0].name=edge'] })).toEqual([
      'Deployment/istio-system/istiod',
      'Deployment/istio-system/edge',
    ]);
  });
});
