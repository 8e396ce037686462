import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, difference, kubectl, meshOn, report, resetTestbed, snapshot } from './helpers.js';
import { testbedPaths } from '../helpers/testbed.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Issue 10's addons on the testbed: Istio's own sample manifests from the release directory (the
 * testbed's Istio source tree has a release's layout), applied, awaited, verified, recorded and
 * removed with nothing left behind; bad input refused before any change.
 */
const t = tempDir();
const sub = (name: string) => {
  const path = join(t.dir, name);
  mkdirSync(path, { recursive: true });
  return path;
};
const istioDir = () => testbedPaths().MESH_ISTIO_SRC;
const emptyCache = () => ({ MESH_CACHE: sub('empty-cache') });

beforeAll(resetTestbed, 120_000);
afterAll(async () => void (await meshOn(['uninstall', '--purge', '-y'])));

describe('addons before any install', () => {
  it('are refused with exit 3 and the way forward, changing nothing', async () => {
    const before = await snapshot();
    const r = await meshOn(['addons', 'install', 'kiali', '--istio-dir', istioDir()]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /^Error: no mesh install in namespace istio-system .*addons go with an installed Istio\nhint: run `mesh install` first/,
    );
    expect(difference(await snapshot(), before)).toEqual([]);
  });
});

describe('addons on an installed mesh', () => {
  let before: Set<string>;
  beforeAll(async () => {
    before = await snapshot();
    const install = await meshOn(['install', '--profile', 'demo', '-y']);
    expect(install.code, install.stderr).toBe(0);
  }, 180_000);

  it('install applies the release files server-side as mesh, waits for the rollout and records them', async () => {
    const r = await meshOn(['addons', 'install', 'prometheus', 'kiali', 'grafana', '--istio-dir', istioDir(), '--timeout', '2m']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/apply prometheus \(\d+ objects from samples\/addons\/prometheus\.yaml\)/);
    expect(r.stderr).toMatch(
      /wait for Deployment\/istio-system\/prometheus, Deployment\/istio-system\/kiali, Deployment\/istio-system\/grafana: ready in/,
    );
    // Server-side apply under mesh's own field manager, so kubectl and helm can tell who owns what.
    const managers = await kubectl(
      'get',
      'deployment',
      'kiali',
      '-n',
      'istio-system',
      '-o',
      'jsonpath={.metadata.managedFields[*].manager}',
    );
    expect(managers.split(' ')).toContain('mesh');
    expect(await kubectl('get', 'clusterrole', 'kiali', '-o', 'name')).toBe('clusterrole.rbac.authorization.k8s.io/kiali\n');

    const verify = await meshOn(['verify', '-o', 'json', '--skip-analyze', '--only', 'addons']);
    expect(verify.code, verify.stdout).toBe(0);
    expect(check(verify, 'addons-available')).toMatchObject({
      status: 'ok',
      message: 'prometheus 1/1 available; kiali 1/1 available; grafana 1/1 available',
    });

    const list = JSON.parse((await meshOn(['addons', 'list', '-o', 'json', '--istio-dir', istioDir()])).stdout) as {
      addons: Array<{ name: string; installed: boolean; available: boolean }>;
    };
    expect(list.addons.filter((a) => a.installed).map((a) => a.name)).toEqual(['prometheus', 'grafana', 'kiali']);
    expect(list.addons.every((a) => a.available)).toBe(true);
  });

  it('an addon that cannot start (loki needs a volume; the testbed has no storage class) times out naming why, and stays recorded', async () => {
    const r = await meshOn(['addons', 'install', 'loki', '--istio-dir', istioDir(), '--timeout', '10s']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(
      /not ready after 10s: StatefulSet\/istio-system\/loki 0\/1 available \(pod loki-0 Pending\/Unschedulable: .*PersistentVolumeClaims/,
    );
    expect(r.stderr).toContain('hint: the addons are applied and recorded');
    const verify = await meshOn(['verify', '-o', 'json', '--skip-analyze', '--only', 'addons']);
    expect(verify.code).toBe(5);
    expect(check(verify, 'addons-available').message).toMatch(/loki: StatefulSet loki 0\/1 available \(pod loki-0 Pending/);
    // Removing it takes the volume claim its StatefulSet made, too.
    expect(await kubectl('get', 'pvc', '-n', 'istio-system', '-o', 'name')).toContain('storage-loki-0');
    // --dry-run names the claim the removal deletes beyond the recorded objects, and leaves it
    const planned = await meshOn(['addons', 'uninstall', 'loki', '--dry-run', '-o', 'json']);
    expect(planned.code, planned.stderr).toBe(0);
    expect(JSON.parse(planned.stdout).addons[0].volumeClaims).toEqual(['PersistentVolumeClaim/istio-system/storage-loki-0']);
    expect((await meshOn(['addons', 'uninstall', 'loki', '--dry-run'])).stdout).toContain(
      '  then the volume claims its StatefulSet left: PersistentVolumeClaim/istio-system/storage-loki-0\n',
    );
    expect(await kubectl('get', 'pvc', '-n', 'istio-system', '-o', 'name')).toContain('storage-loki-0');
    expect((await meshOn(['addons', 'uninstall', 'loki'])).code).toBe(0);
    expect(await kubectl('get', 'pvc,statefulset,pod', '-n', 'istio-system', '-l', 'app.kubernetes.io/name=loki', '-o', 'name')).toBe('');
    expect(await kubectl('get', 'pvc', '-n', 'istio-system', '-o', 'name')).toBe('');
  });

  it('install again converges: same objects, exit 0', async () => {
    const r = await meshOn(['addons', 'install', 'kiali', '--istio-dir', istioDir(), '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ schemaVersion: 1, kind: 'AddonsResult', success: true, addons: ['kiali'] });
  });

  it('verify fails when an addon workload is deleted by hand, and says how to get it back', async () => {
    await kubectl('delete', 'deployment', 'kiali', '-n', 'istio-system');
    const verify = await meshOn(['verify', '-o', 'json', '--skip-analyze', '--only', 'addons']);
    expect(verify.code).toBe(5);
    expect(check(verify, 'addons-available')).toMatchObject({ status: 'fail', message: 'kiali: Deployment/istio-system/kiali not found' });
    expect((await meshOn(['addons', 'install', 'kiali', '--istio-dir', istioDir()])).code).toBe(0);
    expect(report(await meshOn(['verify', '-o', 'json', '--skip-analyze', '--only', 'addons'])).success).toBe(true);
  });

  it.each<[string, string[], (env: NodeJS.ProcessEnv) => NodeJS.ProcessEnv, number, RegExp]>([
    ['an unknown addon', ['addons', 'install', 'kaili'], (e) => e, 2, /^Error: addon kaili: unknown\nhint: mesh knows: prometheus/],
    [
      'two addons that own the same objects',
      ['addons', 'install', 'jaeger', 'zipkin'],
      (e) => e,
      2,
      /addons jaeger and zipkin both define Service\/istio-system\/tracing/,
    ],
    [
      'no release directory',
      ['addons', 'install', 'grafana'],
      emptyCache,
      2,
      /^Error: no Istio release directory.*\nhint: pass --istio-dir/,
    ],
  ])('refuses %s before any change', async (_name, args, env, code, message) => {
    const snap = await snapshot();
    const withDir = env === emptyCache ? args : [...args, '--istio-dir', istioDir()];
    const r = await meshOn(withDir, env({}));
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(difference(await snapshot(), snap)).toEqual([]);
  });

  it('refuses a release directory missing the addon, and one of another Istio minor', async () => {
    const bare = sub('bare-release');
    const missing = await meshOn(['addons', 'install', 'grafana', '--istio-dir', bare]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^Error: addon grafana: samples\/addons\/grafana\.yaml is not in /);

    const old = sub('istio-1.30.2');
    mkdirSync(join(old, 'samples'), { recursive: true });
    cpSync(join(istioDir(), 'samples', 'addons'), join(old, 'samples', 'addons'), { recursive: true });
    writeFileSync(join(old, 'manifest.yaml'), 'version: 1.30.2\n');
    const snap = await snapshot();
    const skewed = await meshOn(['addons', 'install', 'grafana', '--istio-dir', old]);
    expect(skewed.code).toBe(3);
    expect(skewed.stderr).toMatch(
      /is Istio 1\.30\.2, the control plane runs 1\.31\.0: addons come from the matching release\nhint: mesh istio fetch 1\.31\.0/,
    );
    expect(difference(await snapshot(), snap)).toEqual([]);
  });

  it('--dry-run lists every object and changes nothing', async () => {
    const snap = await snapshot();
    const r = await meshOn(['addons', 'install', 'grafana', '--istio-dir', istioDir(), '--dry-run', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { kind: string; addons: Array<{ objects: string[]; waitFor: string[] }> };
    expect(plan.kind).toBe('AddonsPlan');
    expect(plan.addons[0].objects).toContain('Deployment/istio-system/grafana');
    expect(plan.addons[0].waitFor).toEqual(['Deployment/istio-system/grafana']);
    expect(difference(await snapshot(), snap)).toEqual([]);
  });

  it('uninstall removes exactly one addon; mesh uninstall removes the rest; nothing is left behind', async () => {
    const r = await meshOn(['addons', 'uninstall', 'kiali']);
    expect(r.code, r.stderr).toBe(0);
    expect(await kubectl('get', 'deployment,clusterrole,service', '-A', '-l', 'app=kiali', '-o', 'name')).toBe('');
    expect(await kubectl('get', 'deployment', 'prometheus', '-n', 'istio-system', '-o', 'name')).toContain('prometheus');
    const again = await meshOn(['addons', 'uninstall', 'kiali']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('kiali: not installed by mesh, nothing to remove');

    const all = await meshOn(['uninstall', '--purge', '-y']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stderr).toMatch(/delete the addons mesh installed \(prometheus, grafana\)/);
    const now = await snapshot();
    expect(difference(now, before), 'left behind').toEqual([]);
    expect(difference(before, now), 'removed').toEqual([]);
  });
});
