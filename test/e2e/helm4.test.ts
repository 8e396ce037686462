import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { charts, difference, helmBinary, kubectl, meshOn, resetTestbed, snapshot } from './helpers.js';
import { buildTestbed } from '../../testbed/lib.mjs';
import { testbedPaths } from '../helpers/testbed.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The helm backend with a real Helm 4 (built beside the testbed's Helm 3 for this test: testbed/versions.env).
 * Helm 4 takes post-renderers only as plugins, so mesh, knowing its version, holds no release and
 * checks each with `helm template` before the first change; and Helm 4 applies server-side, where
 * istiod then owns fields of what the charts install (the webhooks' failurePolicy). Proven here:
 * mesh installs with it exactly what bare Helm 4 installs from the same values, a second install
 * converges over istiod's fields, verify passes, bad values change nothing, and `uninstall --purge`
 * leaves the cluster as it found it; an in-place upgrade from the older Istio's charts moves every release.
 */
let helm4Path = '';
// Helm 4 is built on first use (about 1.5-2 min from empty Go caches), then found in the cache.
beforeAll(() => {
  helm4Path = buildTestbed({ quiet: true, helm4: true }).MESH_HELM4;
  resetTestbed();
}, 900_000);

const tmp = tempDir();
const helm4 = () => helm4Path;
const flags = () => ['--profile', 'minimal', '--backend', 'helm', '--charts', charts(), '--helm', helm4()];

const bareHelm4 = (...args: string[]) => helmBinary(helm4(), ...args);

const history = async (release: string) =>
  (JSON.parse(await bareHelm4('history', release, '-n', 'istio-system', '-o', 'json')) as Array<{ status: string }>).map((h) => h.status);

describe('the helm backend with Helm 4', () => {
  it('installs what bare Helm 4 installs, converges on a second run, verifies, refuses bad values unchanged, and uninstalls to the cluster it found', async () => {
    expect(await bareHelm4('version', '--template', '{{.Version}}')).toMatch(/^v4\./);
    const before = await snapshot();

    const install = await meshOn(['install', ...flags(), '-y', '--verbose']);
    expect(install.code, install.stderr).toBe(0);
    // Known to be Helm 4 by its version: no hold tried, each release applied as rendered.
    expect(install.stderr).not.toContain('--post-renderer');
    for (const release of ['istio-base', 'istiod']) {
      expect(install.stderr).toMatch(
        new RegExp(`^\\$ \\S+/helm upgrade --install ${release} \\S+ --namespace istio-system .*--values \\S+`, 'm'),
      );
      expect(await history(release)).toEqual(['deployed']);
    }
    // Applied server-side by Helm 4 (Helm 3 updates with a client-side three-way merge).
    const deployment = JSON.parse(
      await kubectl('get', 'deployment', 'istiod', '-n', 'istio-system', '-o', 'json', '--show-managed-fields'),
    ) as {
      metadata: { managedFields: Array<{ manager: string; operation: string }> };
    };
    expect(deployment.metadata.managedFields).toContainEqual(expect.objectContaining({ manager: 'helm', operation: 'Apply' }));
    const installed = await bareHelm4('get', 'manifest', 'istio-base', '-n', 'istio-system');

    // Again, once istiod runs and owns fields of the webhooks the charts install: a new revision, no conflict.
    const again = await meshOn(['install', ...flags(), '-y']);
    expect(again.code, again.stderr).toBe(0);
    expect(await history('istiod')).toEqual(['superseded', 'deployed']);

    const verify = await meshOn(['verify', '--skip-analyze']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    // A value the chart refuses: helm's words, exit 2, no new revision.
    const bad = await meshOn(['install', ...flags(), '--set', 'values.profile=nope', '-y']);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toContain('unknown profile nope');
    expect(await history('istiod')).toEqual(['superseded', 'deployed']);

    const uninstall = await meshOn(['uninstall', '--purge', '-y', '--helm', helm4()]);
    expect(uninstall.code, uninstall.stderr).toBe(0);
    const after = await snapshot();
    expect(difference(after, before)).toEqual([]);
    expect(difference(before, after)).toEqual([]);

    // The oracle: bare Helm 4, the same chart and values, on the same cluster emptied.
    const render = JSON.parse((await meshOn(['render', '--profile', 'minimal', '--backend', 'helm', '-o', 'json'])).stdout) as {
      releases: Array<{ release: string; values: unknown }>;
    };
    const values = tmp.write('istio-base.values.json', JSON.stringify(render.releases.find((r) => r.release === 'istio-base')!.values));
    await bareHelm4(
      'upgrade',
      '--install',
      'istio-base',
      `${charts()}/base`,
      '-n',
      'istio-system',
      '--create-namespace',
      '--values',
      values,
    );
    const bare = await bareHelm4('get', 'manifest', 'istio-base', '-n', 'istio-system');
    // The CRDs it keeps (helm.sh/resource-policy: keep) and the namespace stay for the next case, whose
    // install adopts them: a CRD deleted seconds after it was created anew could stay Terminating on
    // the testbed ("could not list instances: storage is (re)initializing"), holding the namespace.
    await bareHelm4('uninstall', 'istio-base', '-n', 'istio-system');
    expect(installed.length).toBeGreaterThan(100_000);
    expect(installed).toBe(bare);
  });

  it("upgrades in place from the older Istio's charts to the newer, every release (CNI too) a new revision", async () => {
    const { MESH_ISTIO_PREVIOUS_SRC, MESH_ISTIO_PREVIOUS_VERSION: old, MESH_ISTIO_VERSION: next } = testbedPaths();
    const olderCharts = join(MESH_ISTIO_PREVIOUS_SRC, 'manifests', 'charts');
    // Charts from a source tree render the image tag `latest`; --set tag=<version> runs that version's istiod here.
    const install = await meshOn([
      'install',
      '--profile',
      'minimal',
      '--backend',
      'helm',
      '--cni',
      '--helm',
      helm4(),
      '--charts',
      olderCharts,
      '--set',
      `tag=${old}`,
      '-y',
    ]);
    expect(install.code, install.stderr).toBe(0);
    const up = await meshOn(['upgrade', '--to', next, '--in-place', '--charts', charts(), '--set', `tag=${next}`, '--helm', helm4(), '-y']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`in-place upgrade of revision default in istio-system: ${old} -> ${next}`);
    expect(up.stderr).toMatch(/verify -r default: \d+ ok, \d+ warn, 0 fail, 0 unknown/);
    const releases = async (namespace: string) =>
      (JSON.parse(await bareHelm4('list', '-n', namespace, '-o', 'json')) as Array<{ name: string; revision: string; status: string }>).map(
        (r) => [r.name, r.revision, r.status],
      );
    expect([...(await releases('istio-system')), ...(await releases('kube-system'))].sort()).toEqual([
      ['istio-base', '2', 'deployed'],
      ['istio-cni', '2', 'deployed'],
      ['istiod', '2', 'deployed'],
    ]);
    const image = await kubectl(
      'get',
      'deployment/istiod',
      '-n',
      'istio-system',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    );
    expect(image.slice(image.lastIndexOf(':') + 1)).toBe(next);
    expect((await meshOn(['uninstall', '--purge', '--force', '-y', '--helm', helm4()])).code).toBe(0);
  });
});
