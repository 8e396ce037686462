import { describe, expect, it } from 'vitest';
import { minorsAhead, skewWarning, versionOfImage } from '../../src/istio/versions.js';

describe('Istio versions read from images', () => {
  it('an image variant or a registry port is not part of the version', () => {
    expect(versionOfImage('docker.io/istio/pilot:1.31.0-distroless')).toBe('1.31.0');
    expect(versionOfImage('registry.local:5000/istio/pilot:1.30.2-debug')).toBe('1.30.2');
    expect(versionOfImage('registry.local:5000/istio/pilot')).toBe('latest');
    expect(versionOfImage('docker.io/istio/pilot:1.31.0@sha256:abc')).toBe('1.31.0');
    expect(versionOfImage(undefined)).toBeUndefined();
  });
});

describe('istioctl / control-plane skew', () => {
  it('counts minors, and claims nothing for what is not a release version', () => {
    expect(minorsAhead('1.31.0', '1.29.4')).toBe(2);
    expect(minorsAhead('1.29.4', '1.31.0')).toBe(-2);
    expect(minorsAhead('1.31.0', 'latest')).toBeUndefined();
    expect(minorsAhead('2.0.0', '1.31.0')).toBeUndefined();
  });

  it('warns beyond one minor either way, naming the minor to use', () => {
    expect(skewWarning('istioctl', '1.31.0', '1.30.9')).toBeUndefined();
    expect(skewWarning('charts', '1.30.0', '1.31.0')).toBeUndefined();
    expect(skewWarning('charts', '1.28.0', '1.31.0')).toEqual({
      message: 'charts 1.28.0 and control plane 1.31.0 are 3 minors apart (Istio supports one)',
      hint: 'use the charts of Istio 1.31: `mesh istio fetch <1.31.x>`, then --istio-version or `mesh istio use`',
    });
  });
});

describe('helm 4 server-side apply against older charts (UPGRADE-NOTES pain 6)', () => {
  it('warns for helm 4 with charts before 1.28 only', async () => {
    const { helmApplyWarning } = await import('../../src/istio/versions.js');
    expect(helmApplyWarning('4.1.1', '1.27.3')).toMatch(/^helm 4\.1\.1 applies server-side, .*\(istio\/istio#59367\)/);
    expect(helmApplyWarning('v4.2.0', '1.28.0')).toBeUndefined();
    expect(helmApplyWarning('3.22.0', '1.26.0')).toBeUndefined();
    expect(helmApplyWarning('4.1.1', undefined)).toBeUndefined();
  });
});
