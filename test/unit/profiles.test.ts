import { describe, expect, it } from 'vitest';
import { listBuiltinProfiles } from '../../src/profiles/load.js';
import { profileFromOptions } from '../../src/profiles/index.js';
import { CliError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

const load = (options: Parameters<typeof profileFromOptions>[0], enforce = true) => profileFromOptions(options, enforce);
const usage = (fn: () => unknown): CliError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    return error as CliError;
  }
  throw new Error('expected a usage error');
};

describe('built-in profiles', () => {
  it('ships the profiles the product promises', () => {
    expect(listBuiltinProfiles()).toEqual(['ambient', 'default', 'demo', 'empty', 'minimal', 'remote', 'sds']);
  });

  it('demo = istiod + ingress + egress, full trace sampling and access logs', () => {
    const p = load({ profile: 'demo' });
    expect(p.istioProfile).toBe('demo');
    expect(p.spec.components?.pilot?.enabled).toBe(true);
    expect(p.spec.components?.ingressGateways).toEqual([{ name: 'istio-ingressgateway', enabled: true }]);
    expect(p.spec.components?.egressGateways).toEqual([{ name: 'istio-egressgateway', enabled: true }]);
    expect(p.spec.meshConfig).toMatchObject({ accessLogFile: '/dev/stdout' });
    expect(p.spec.values).toMatchObject({ pilot: { traceSampling: 100 } });
    expect(p.sources).toEqual(['builtin:default', 'builtin:demo']);
  });

  it('minimal = istiod only; ambient = istiod + cni + ztunnel; empty = nothing', () => {
    const minimal = load({ profile: 'minimal' }).spec.components!;
    expect([minimal.pilot?.enabled, minimal.ingressGateways?.[0]?.enabled, minimal.egressGateways?.[0]?.enabled]).toEqual([true, false, false]);
    const ambient = load({ profile: 'ambient' }).spec.components!;
    expect([ambient.pilot?.enabled, ambient.cni?.enabled, ambient.ztunnel?.enabled, ambient.ingressGateways?.[0]?.enabled]).toEqual([true, true, true, false]);
    const empty = load({ profile: 'empty' }).spec.components!;
    expect([empty.base?.enabled, empty.pilot?.enabled]).toEqual([false, false]);
  });

  it('sds says it is the modern equivalent of the 1.4 profile', () => {
    const sds = load({ profile: 'sds' });
    expect(sds.description).toMatch(/1\.4/);
    expect(sds.spec.meshConfig).toMatchObject({ enableAutoMtls: true });
  });

  it('remote needs the primary address and names the flag', () => {
    const error = usage(() => load({ profile: 'remote' }));
    expect(error.message).toContain('values.global.remotePilotAddress');
    expect(error.hint).toContain('--set values.global.remotePilotAddress=');
    expect(load({ profile: 'remote', set: ['values.global.remotePilotAddress=10.0.0.9'] }).spec.values).toMatchObject({ global: { remotePilotAddress: '10.0.0.9' } });
  });
});

describe('layering', () => {
  const t = tempDir();

  it('applies overlays in order, then --set in order', () => {
    const a = t.write('a.yaml', 'spec:\n  values:\n    pilot:\n      traceSampling: 5\n');
    const b = t.write('b.yaml', 'spec:\n  values:\n    pilot:\n      traceSampling: 7\n      env: {A: "1"}\n');
    const p = load({ profile: 'demo', filename: [a, b], set: ['values.pilot.traceSampling=9', 'values.pilot.traceSampling=11'] });
    expect(p.spec.values).toMatchObject({ pilot: { traceSampling: 11, env: { A: '1' } } });
  });

  it('accepts an IstioOperator as an overlay', () => {
    const iop = t.write('iop.yaml', 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: demo\n  components:\n    cni:\n      enabled: true\n');
    const p = load({ profile: 'default', filename: [iop] });
    expect(p.istioProfile).toBe('demo');
    expect(p.spec.components?.cni?.enabled).toBe(true);
  });

  it('resolves extends relative to the extending file and detects cycles', () => {
    t.write('base.yaml', 'name: base\nextends: demo\nspec:\n  values:\n    pilot:\n      traceSampling: 1\n');
    const child = t.write('child.yaml', 'name: child\nextends: ./base.yaml\n');
    const p = load({ profile: child });
    expect(p.name).toBe('child');
    expect(p.spec.components?.egressGateways?.[0]?.enabled).toBe(true);
    expect(p.sources.map((s) => s.split('/').pop())).toEqual(['builtin:default', 'builtin:demo', 'base.yaml', 'child.yaml']);
    t.write('x.yaml', 'name: x\nextends: ./y.yaml\n');
    const y = t.write('y.yaml', 'name: y\nextends: ./x.yaml\n');
    expect(usage(() => load({ profile: y })).message).toMatch(/extends cycle/);
  });
});

describe('bad input is a usage error naming the input', () => {
  const t = tempDir();

  it('unknown profile lists the valid ones', () => {
    const e = usage(() => load({ profile: 'demoo' }));
    expect(e.message).toBe('unknown profile "demoo"');
    expect(e.hint).toContain('ambient, default, demo, empty, minimal, remote, sds');
  });

  it('YAML syntax errors carry file, line and column', () => {
    const bad = t.write('bad.yaml', 'spec:\n  values:\n    pilot: [unclosed\n');
    expect(usage(() => load({ profile: 'default', filename: [bad] })).message).toMatch(/overlay .*bad\.yaml is not valid YAML at line \d+, column \d+/);
  });

  it('schema errors carry the path of the bad key', () => {
    const bad = t.write('typo.yaml', 'spec:\n  components:\n    pilot:\n      enabeld: true\n');
    expect(usage(() => load({ profile: 'default', filename: [bad] })).message).toContain('spec.components.pilot.enabeld: unknown field');
    const wrongType = t.write('type.yaml', 'spec:\n  components:\n    pilot:\n      k8s:\n        replicaCount: two\n');
    expect(usage(() => load({ profile: 'default', filename: [wrongType] })).message).toContain('spec.components.pilot.k8s.replicaCount');
  });

  it('--set naming no known field, or --set profile', () => {
    expect(usage(() => load({ profile: 'default', set: ['components.pilott.enabled=true'] })).message).toContain('components.pilott: unknown field');
    expect(usage(() => load({ profile: 'default', set: ['values.nosuch.x=1'] })).message).toContain('values.nosuch: unknown field');
    expect(usage(() => load({ profile: 'default', set: ['profile=demo'] })).hint).toBe('use --profile demo');
  });

  it('a missing overlay file', () => {
    expect(usage(() => load({ profile: 'default', filename: ['nope.yaml'] })).message).toMatch(/cannot read overlay nope\.yaml: no such file/);
  });
});
