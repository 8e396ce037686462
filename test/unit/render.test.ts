import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { profileFromOptions } from '../../src/profiles/index.js';
import { renderIstioOperator } from '../../src/render/istioctl.js';
import { renderHelmReleases } from '../../src/render/helm.js';
import { expectedWorkloads, formatWorkload } from '../../src/render/workloads.js';
import { CliError } from '../../src/errors.js';

/** Golden files per profile x backend; regenerate with UPDATE_GOLDEN=1 and review the diff. */
const GOLDEN = join(import.meta.dirname, '..', 'golden');
const PROFILES: Array<[string, string[]]> = [
  ['default', []], ['demo', []], ['minimal', []], ['sds', []], ['empty', []], ['ambient', []],
  ['remote', ['values.global.remotePilotAddress=istiod.primary.example']],
];
const options = { istioNamespace: 'istio-system' };

function golden(name: string, text: string) {
  const path = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, text);
  expect(existsSync(path), `${path} missing: run with UPDATE_GOLDEN=1`).toBe(true);
  expect(text).toBe(readFileSync(path, 'utf8'));
}

describe.each(PROFILES)('profile %s', (name, set) => {
  const profile = profileFromOptions({ profile: name, set });
  it('renders the IstioOperator golden file', () => {
    golden(`${name}.istioctl.yaml`, stringify(renderIstioOperator(profile, options), { lineWidth: 0 }));
  });
  it('renders the helm values golden file', () => {
    golden(`${name}.helm.yaml`, renderHelmReleases(profile, options).map((r) => stringify(r, { lineWidth: 0 })).join('---\n'));
  });
});

describe('rendering', () => {
  it('is byte-stable whatever the order keys were layered in', () => {
    const a = profileFromOptions({ profile: 'demo', set: ['values.pilot.env.B=2', 'values.pilot.env.A=1'] });
    const b = profileFromOptions({ profile: 'demo', set: ['values.pilot.env.A=1', 'values.pilot.env.B=2'] });
    expect(stringify(renderIstioOperator(a, options))).toBe(stringify(renderIstioOperator(b, options)));
  });

  it('orders helm releases base, istiod, cni, ztunnel, gateways', () => {
    const p = profileFromOptions({ profile: 'ambient', set: ['components.ingressGateways[name:istio-ingressgateway].enabled=true'] });
    expect(renderHelmReleases(p, options).map((r) => r.chart)).toEqual(['base', 'istiod', 'cni', 'ztunnel', 'gateway']);
  });

  it('translates component k8s settings into chart values', () => {
    const p = profileFromOptions({ profile: 'minimal', set: ['components.pilot.k8s.nodeSelector.disk=ssd', 'components.pilot.k8s.replicaCount=2', 'components.pilot.k8s.env[0].name=X', 'components.pilot.k8s.env[0].value=1'] });
    const istiod = renderHelmReleases(p, options).find((r) => r.chart === 'istiod')!;
    expect(istiod.values.pilot).toMatchObject({ nodeSelector: { disk: 'ssd' }, replicaCount: 2, autoscaleEnabled: false, env: { X: 1 } });
  });

  it('refuses a setting the helm backend cannot express, naming it', () => {
    const p = profileFromOptions({ profile: 'minimal', set: ['components.pilot.k8s.overlays[0].kind=Deployment'] });
    expect(() => renderHelmReleases(p, options)).toThrow(CliError);
    expect(() => renderHelmReleases(p, options)).toThrow('the helm backend cannot express components.pilot.k8s.overlays');
  });

  it('names the workloads each profile creates, revisioned istiod included', () => {
    expect(expectedWorkloads(profileFromOptions({ profile: 'demo' }), 'istio-system').map(formatWorkload)).toEqual([
      'Deployment/istio-system/istiod', 'Deployment/istio-system/istio-ingressgateway', 'Deployment/istio-system/istio-egressgateway',
    ]);
    expect(expectedWorkloads(profileFromOptions({ profile: 'ambient', set: ['revision=canary'] }), 'mesh').map(formatWorkload)).toEqual([
      'Deployment/mesh/istiod-canary', 'DaemonSet/mesh/istio-cni-node', 'DaemonSet/mesh/ztunnel',
    ]);
    expect(expectedWorkloads(profileFromOptions({ profile: 'remote', set: ['values.global.remotePilotAddress=x'] }), 'istio-system')).toEqual([]);
  });
});
