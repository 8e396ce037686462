import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chartProfile } from '../../src/render/chart-profiles.js';

describe('chartProfile: the values the charts put under the user values (zzz_profile.yaml)', () => {
  it('selects nothing without profile, compatibilityVersion or platform', () => {
    expect(chartProfile({ pilot: { traceSampling: 1 } })).toEqual({ layers: [], values: {} });
  });

  it('layers profile, then compatibility version, then platform; later wins, maps merge', () => {
    const { layers, values } = chartProfile({ global: { profile: 'ambient', platform: 'k3d' }, compatibilityVersion: '1.30' });
    expect(layers).toEqual(['ambient', 'compatibility-version-1.30', 'platform-k3d']);
    expect(values).toMatchObject({
      global: { variant: 'distroless' },
      pilot: { env: { PILOT_ENABLE_AMBIENT: 'true', PILOT_ENABLE_STRICT_GATEWAY_MERGING: 'false' } },
      cni: { ambient: { enabled: true }, cniBinDir: '/bin' },
    });
  });

  it('values.profile wins over values.global.profile, as the charts coalesce them', () => {
    expect(chartProfile({ profile: 'demo', global: { profile: 'ambient' } }).layers).toEqual(['demo']);
  });

  it('an unknown name is the key, the name and the valid ones of that kind', () => {
    expect(() => chartProfile({ profile: 'nope' })).toThrow(/^values\.profile: "nope" is not one of Istio 1\.31's chart profiles/);
    try {
      chartProfile({ global: { platform: 'eks' } });
    } catch (error) {
      expect((error as { hint: string }).hint).toBe('valid: gke, k3d, k3s, microk8s, minikube, openshift');
    }
    expect.assertions(2);
  });

  const dir = mkdtempSync(join(tmpdir(), 'mesh-chart-profiles-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it("reads a release's helm-profiles, else the istiod chart's copy", () => {
    mkdirSync(join(dir, 'helm-profiles'));
    writeFileSync(join(dir, 'helm-profiles', 'demo.yaml'), 'pilot:\n  traceSampling: 42\n');
    const files = join(dir, 'charts', 'istio-control', 'istio-discovery', 'files');
    mkdirSync(files, { recursive: true });
    writeFileSync(join(files, 'profile-platform-gke.yaml'), 'cni:\n  cniBinDir: ""\n');
    expect(chartProfile({ profile: 'demo', platform: 'gke' }, { manifestsDir: dir }).values).toEqual({
      pilot: { traceSampling: 42 },
      cni: { cniBinDir: '' },
    });
    expect(() => chartProfile({ profile: 'stable' }, { manifestsDir: dir })).toThrow(/values\.profile: "stable" is not a chart profile of/);
  });
});
