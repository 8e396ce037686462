import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ISTIO_1_31_PROFILES } from '../../src/render/istio-profiles.js';
import { ISTIO_INGRESS_PORTS, ISTIO_INGRESS_PORTS_BY_PROFILE } from '../../src/render/exposure.js';
import { istioManifestsDir } from '../helpers/istio.js';
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
