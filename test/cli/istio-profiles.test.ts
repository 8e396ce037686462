import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ISTIO_1_31_PROFILES } from '../../src/render/istio-profiles.js';
import { ISTIO_1_31_CHART_PROFILES } from '../../src/render/chart-profiles-1.31.js';
import { ISTIO_INGRESS_PORTS, ISTIO_INGRESS_PORTS_BY_PROFILE } from '../../src/render/exposure.js';
import { generate, istioManifestsDir } from '../helpers/istio.js';
import { mesh } from '../helpers/mesh.js';
import { testbedPaths } from '../helpers/testbed.js';

/**
 * mesh reads Istio's profiles to know what an install contains; its copy must be the one the
 * testbed's istioctl embeds (the same Istio source tree), profile for profile.
 */
beforeAll(() => void testbedPaths(), 1_800_000);

describe("mesh's copy of Istio 1.31's profiles", () => {
  it('names the same profiles as the Istio release', () => {
    const names = readdirSync(join(istioManifestsDir(), 'profiles'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''));
    expect(Object.keys(ISTIO_1_31_PROFILES).sort()).toEqual(names.sort());
  });

  it.each(Object.keys(ISTIO_1_31_PROFILES))("%s is the release's file, as data", (name) => {
    const source = parse(readFileSync(join(istioManifestsDir(), 'profiles', `${name}.yaml`), 'utf8'));
    expect(ISTIO_1_31_PROFILES[name]).toEqual(source);
  });
});

describe("mesh's copy of the ingress gateway's ports (what --ingress-node-port adds node ports to)", () => {
  const chart = () => join(testbedPaths().MESH_ISTIO_CHARTS, 'gateways', 'istio-ingress');
  type Ports = { gateways?: { 'istio-ingressgateway'?: { ports?: unknown[] } } };
  it("is the chart's default list", () => {
    const values = parse(readFileSync(join(chart(), 'values.yaml'), 'utf8')) as { _internal_defaults_do_not_set: Ports };
    expect(ISTIO_INGRESS_PORTS).toEqual(values._internal_defaults_do_not_set.gateways?.['istio-ingressgateway']?.ports);
  });
  it('has every profile that brings its own list, and that list', () => {
    const own: Record<string, unknown[]> = {};
    for (const file of readdirSync(join(chart(), 'files')).filter((f) => /^profile-[a-z]+\.yaml$/.test(f))) {
      const ports = (parse(readFileSync(join(chart(), 'files', file), 'utf8')) as Ports).gateways?.['istio-ingressgateway']?.ports;
      if (ports) own[file.replace(/^profile-|\.yaml$/g, '')] = ports;
    }
    expect(ISTIO_INGRESS_PORTS_BY_PROFILE).toEqual(own);
  });
});

describe("mesh's copy of Istio 1.31's chart profiles (what `profile show|diff --effective` says a profile sets)", () => {
  const dir = () => join(istioManifestsDir(), 'helm-profiles');
  const names = () =>
    readdirSync(dir())
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''));
  it('names the same chart profiles as the Istio release', () => {
    expect(Object.keys(ISTIO_1_31_CHART_PROFILES).sort()).toEqual(names().sort());
  });

  it.each(Object.keys(ISTIO_1_31_CHART_PROFILES))("%s is the release's file, as data, and each chart's copy of it", (name) => {
    const source = parse(readFileSync(join(dir(), `${name}.yaml`), 'utf8'));
    expect(ISTIO_1_31_CHART_PROFILES[name]).toEqual(source);
    const copy = join(istioManifestsDir(), 'charts', 'istio-control', 'istio-discovery', 'files', `profile-${name}.yaml`);
    expect(parse(readFileSync(copy, 'utf8'))).toEqual(source);
  });

  it('istioctl installs what `profile show demo --effective` says demo sets: trace sampling 100, the access log', async () => {
    const shown = parse((await mesh(['profile', 'show', 'demo', '--effective'])).stdout) as {
      effective: {
        chartProfile: { layers: string[]; values: { pilot: { traceSampling: number }; meshConfig: { accessLogFile: string } } };
      };
    };
    const { layers, values } = shown.effective.chartProfile;
    expect(layers).toEqual(['demo']);
    const rendered = await generate(['--set', 'profile=demo']);
    expect(rendered.code, rendered.stderr).toBe(0);
    const istiod = rendered.objects.get('Deployment/istio-system/istiod') as {
      spec: { template: { spec: { containers: Array<{ env?: Array<{ name: string; value?: string }> }> } } };
    };
    const env = istiod.spec.template.spec.containers[0].env ?? [];
    expect(env.find((e) => e.name === 'PILOT_TRACE_SAMPLING')?.value).toBe(String(values.pilot.traceSampling));
    const meshConfig = (rendered.objects.get('ConfigMap/istio-system/istio') as { data: { mesh: string } }).data.mesh;
    expect(parse(meshConfig).accessLogFile).toBe(values.meshConfig.accessLogFile);
    // and the default profile, whose chart profile is none, renders neither
    const plain = await generate(['--set', 'profile=default']);
    const plainEnv = (plain.objects.get('Deployment/istio-system/istiod') as typeof istiod).spec.template.spec.containers[0].env ?? [];
    expect(plainEnv.find((e) => e.name === 'PILOT_TRACE_SAMPLING')?.value).not.toBe('100');
    expect(parse((await mesh(['profile', 'show', 'default', '--effective'])).stdout).effective.chartProfile).toBeUndefined();
  });
});
