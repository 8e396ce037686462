import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testbedPaths, toolPath } from '../helpers/testbed.js';
import { deployWeb, helm, kubectl, meshOn, resetTestbed } from './helpers.js';

/**
 * A real canary upgrade on the testbed (issue 15): the older Istio (1.30-dev, its own istioctl
 * and pilot-discovery) installed by mesh, an injected namespace, `mesh upgrade --to 1.31.0`:
 * a new revision, the default tag moved, workloads restarted onto the new proxy, the old control
 * plane removed once nothing uses it; and a downgrade refused.
 */
const previous = () => join(testbedPaths().MESH_ISTIO_PREVIOUS_BIN, 'istioctl');
const proxies = async () =>
  (await kubectl('get', 'pods', '-n', 'up-app', '-o', 'jsonpath={.items[*].spec.containers[?(@.name=="istio-proxy")].image}'))
    .split(' ')
    .filter(Boolean);

describe('mesh upgrade (istioctl backend, 1.30-dev -> 1.31.0)', () => {
  beforeAll(resetTestbed, 60_000);
  afterAll(async () => {
    for (const args of [['-r', '1-31-0', '--force'], ['--force']])
      await meshOn(['uninstall', ...args, '-y', '--istioctl', toolPath('istioctl')]);
  });

  it('a canary: new revision beside the old, the default tag moved, workloads restarted onto the new proxy', async () => {
    const { MESH_ISTIO_PREVIOUS_VERSION: old, MESH_ISTIO_VERSION: next } = testbedPaths();
    const install = await meshOn(['install', '--profile', 'minimal', '--istioctl', previous(), '-y']);
    expect(install.code, install.stderr).toBe(0);
    await webApp();
    expect(await proxies()).toEqual([`docker.io/istio/proxyv2:${old}`, `docker.io/istio/proxyv2:${old}`]);

    // Jumps Istio does not support are refused from what the cluster runs (istiod's image), before any tool is asked.
    const far = await meshOn(['upgrade', '--to', '1.33.0', '--istioctl', toolPath('istioctl'), '-y']);
    expect(far.code).toBe(3);
    expect(far.stderr).toMatch(
      new RegExp(
        `^Error: ${old} -> 1\\.33\\.0 is 3 minors; Istio supports at most 2 per canary upgrade\\nhint: upgrade to 1\\.32\\.x first$`,
        'm',
      ),
    );
    const farInPlace = await meshOn(['upgrade', '--to', '1.32.0', '--in-place', '--istioctl', toolPath('istioctl'), '-y']);
    expect(farInPlace.code).toBe(3);
    expect(farInPlace.stderr).toMatch(
      /is 2 minors; Istio supports at most 1 per in-place upgrade\nhint: upgrade to 1\.31\.x first, or use a canary/,
    );
    expect((await kubectl('get', 'deployments', '-n', 'istio-system', '-o', 'name')).trim()).toBe('deployment.apps/istiod');

    const dry = await meshOn(['upgrade', '--to', next, '--istioctl', toolPath('istioctl'), '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain(`canary upgrade of revision default in istio-system: ${old} -> ${next}, new revision 1-31-0`);
    // the install it would run, as `mesh install --dry-run` prints it, then each move by name
    expect(dry.stdout).toMatch(/^Install plan: profile minimal, backend istioctl, namespace istio-system, revision 1-31-0$/m);
    expect(dry.stdout).toContain('- Deployment/istio-system/istiod-1-31-0');
    expect(dry.stderr).toContain('would move tag default to revision 1-31-0 (namespaces using it: up-app)');
    expect(dry.stderr).toContain(`the workloads in up-app keep their ${old} proxies until restarted (--restart does it)`);
    expect(await kubectl('get', 'deployments', '-n', 'istio-system', '-o', 'name')).not.toContain('1-31-0');
    expect(await kubectl('get', 'configmaps', '-n', 'istio-system', '-o', 'name')).not.toContain('mesh-install-1-31-0');

    const up = await meshOn(['upgrade', '--to', next, '--istioctl', toolPath('istioctl'), '--restart', '-y']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain('tag default -> revision 1-31-0');
    expect(up.stderr).toMatch(/verify -r 1-31-0: \d+ ok, \d+ warn, 0 fail, 0 unknown/);
    expect(up.stderr).toMatch(/When no proxy uses default any more: mesh uninstall -r default -y/);
    await kubectl('rollout', 'status', 'deployment/web', '-n', 'up-app', '--timeout=60s');
    await expect.poll(proxies, { timeout: 30_000 }).toEqual([`docker.io/istio/proxyv2:${next}`, `docker.io/istio/proxyv2:${next}`]);
    const verify = await meshOn(['verify', '-r', '1-31-0', '--skip-analyze', '-o', 'json']);
    expect(verify.code, verify.stdout).toBe(0);
  });

  it('refuses to go backwards (exit 3, with the way to roll back), changing nothing', async () => {
    const { MESH_ISTIO_PREVIOUS_VERSION: old } = testbedPaths();
    const down = await meshOn(['upgrade', '--to', old, '--istioctl', previous(), '--from', '1-31-0', '-y']);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(
      new RegExp(`^Error: ${old} is older than the control plane's 1\\.31\\.0: upgrade goes forward\\nhint: to roll back`, 'm'),
    );
    const wrongTool = await meshOn(['upgrade', '--to', '1.32.0', '--istioctl', toolPath('istioctl'), '-y']);
    expect(wrongTool.code).toBe(3);
    expect(wrongTool.stderr).toMatch(/^Error: --to 1\.32\.0, but .*istioctl is istioctl 1\.31\.0/m);
  });

  it('the old control plane goes once nothing uses it: revision 1-31-0 and the tag stay', async () => {
    const removed = await meshOn(['uninstall', '-y', '--istioctl', previous()]);
    expect(removed.code, removed.stderr).toBe(0);
    const deployments = await kubectl('get', 'deployments', '-n', 'istio-system', '-o', 'name');
    expect(deployments.trim()).toBe('deployment.apps/istiod-1-31-0');
    const tags = JSON.parse((await meshOn(['tag', 'list', '-o', 'json'])).stdout) as {
      tags: Array<{ tag: string; revision: string; namespaces: string[] }>;
    };
    expect(tags.tags).toContainEqual({ tag: 'default', revision: '1-31-0', webhook: 'istio-revision-tag-default', namespaces: ['up-app'] });
    // new pods still get the new sidecar through the moved tag
    await kubectl('rollout', 'restart', 'deployment/web', '-n', 'up-app');
    await kubectl('rollout', 'status', 'deployment/web', '-n', 'up-app', '--timeout=60s');
    await expect
      .poll(proxies, { timeout: 30_000 })
      .toEqual([
        `docker.io/istio/proxyv2:${testbedPaths().MESH_ISTIO_VERSION}`,
        `docker.io/istio/proxyv2:${testbedPaths().MESH_ISTIO_VERSION}`,
      ]);
    expect((await meshOn(['verify', '-r', '1-31-0', '--skip-analyze'])).code).toBe(0);
    await kubectl('delete', 'namespace', 'up-app', '--wait=true', '--timeout=60s');
  });
});

describe('mesh upgrade (istioctl backend) rolled back by removing the canary', () => {
  beforeAll(resetTestbed, 60_000);
  afterAll(async () => void (await meshOn(['uninstall', '--purge', '--force', '-y', '--istioctl', previous()])));

  it('moves the default tag back to the old revision, so removing the canary needs no --force and injection goes on', async () => {
    const { MESH_ISTIO_PREVIOUS_VERSION: old, MESH_ISTIO_VERSION: next } = testbedPaths();
    expect((await meshOn(['install', '--profile', 'minimal', '--istioctl', previous(), '-y'])).code).toBe(0);
    await webApp();
    const up = await meshOn(['upgrade', '--to', next, '--istioctl', toolPath('istioctl'), '-y']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain('tag default -> revision 1-31-0');

    const dry = await meshOn(['uninstall', '-r', '1-31-0', '--dry-run', '--istioctl', toolPath('istioctl')]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('move tag default back to revision default, where it pointed before the upgrade');
    const back = await meshOn(['uninstall', '-r', '1-31-0', '-y', '--istioctl', toolPath('istioctl')]);
    expect(back.code, back.stderr).toBe(0);
    const tags = JSON.parse((await meshOn(['tag', 'list', '-o', 'json'])).stdout) as { tags: Array<{ tag: string; revision: string }> };
    expect(tags.tags.map((t) => [t.tag, t.revision])).toEqual([['default', 'default']]);
    expect((await kubectl('get', 'deployments', '-n', 'istio-system', '-o', 'name')).trim()).toBe('deployment.apps/istiod');
    const verify = JSON.parse((await meshOn(['verify', '--skip-analyze', '-o', 'json'])).stdout) as {
      success: boolean;
      categories: Array<{ checks: Array<{ id: string; status: string }> }>;
    };
    expect(verify.categories.flatMap((c) => c.checks).find((c) => c.id === 'webhook-revisions')?.status).toBe('ok');
    expect(verify.success).toBe(true);
    // new pods are injected by the old revision again
    await kubectl('rollout', 'restart', 'deployment/web', '-n', 'up-app');
    await kubectl('rollout', 'status', 'deployment/web', '-n', 'up-app', '--timeout=60s');
    await expect.poll(proxies, { timeout: 30_000 }).toEqual([`docker.io/istio/proxyv2:${old}`, `docker.io/istio/proxyv2:${old}`]);
    await kubectl('delete', 'namespace', 'up-app', '--wait=true', '--timeout=60s');
  });
});

/** The proxies' image tags: charts from a source tree name the testing registry, published ones docker.io/istio. */
const proxyTags = async () => (await proxies()).map((image) => image.slice(image.lastIndexOf(':') + 1));

const webApp = async () => {
  await kubectl('create', 'namespace', 'up-app');
  await kubectl('label', 'namespace', 'up-app', 'istio-injection=enabled');
  await deployWeb('up-app');
};
const istiodImages = async () =>
  (
    await kubectl(
      'get',
      'deployments',
      '-n',
      'istio-system',
      '-l',
      'app=istiod',
      '-o',
      'jsonpath={.items[*].spec.template.spec.containers[0].image}',
    )
  ).split(' ');

const istiodEnv = async (deployment: string) =>
  (
    await kubectl(
      'get',
      'deployment',
      deployment,
      '-n',
      'istio-system',
      '-o',
      'jsonpath={range .spec.template.spec.containers[0].env[*]}{.name}={.value}{"\\n"}{end}',
    )
  ).split('\n');

describe('mesh upgrade --in-place (istioctl backend)', () => {
  beforeAll(resetTestbed, 60_000);
  afterAll(async () => void (await meshOn(['uninstall', '--purge', '-y', '--istioctl', toolPath('istioctl')])));

  it('installs the new version over the same revision and restarts the injected workloads onto it', async () => {
    const { MESH_ISTIO_PREVIOUS_VERSION: old, MESH_ISTIO_VERSION: next } = testbedPaths();
    expect((await meshOn(['install', '--profile', 'minimal', '--istioctl', previous(), '-y'])).code).toBe(0);
    await webApp();
    expect(await istiodImages()).toEqual([`docker.io/istio/pilot:${old}`]);
    // An empty cache: the version upgrade asks the new istioctl is the one its install reads, not asked twice.
    const cache = mkdtempSync(join(tmpdir(), 'mesh-e2e-cache-'));
    const up = await meshOn(['upgrade', '--to', next, '--in-place', '--istioctl', toolPath('istioctl'), '--restart', '-y'], {
      MESH_CACHE: cache,
    }).finally(() => rmSync(cache, { recursive: true, force: true }));
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`in-place upgrade of revision default in istio-system: ${old} -> ${next}`);
    expect(up.stderr).toContain(`; istioctl ${next}\n`);
    expect(up.stderr).not.toContain('installing Istio');
    expect(up.stderr).toContain('restarted 1 workloads in up-app');
    expect(up.stderr).toMatch(/verify -r default: \d+ ok, \d+ warn, 0 fail, 0 unknown/);
    expect(await istiodImages()).toEqual([`docker.io/istio/pilot:${next}`]);
    await kubectl('rollout', 'status', 'deployment/web', '-n', 'up-app', '--timeout=60s');
    await expect.poll(proxies, { timeout: 30_000 }).toEqual([`docker.io/istio/proxyv2:${next}`, `docker.io/istio/proxyv2:${next}`]);
    const status = JSON.parse((await meshOn(['status', '-o', 'json', '--no-drift'])).stdout);
    expect(status.record.toolVersions.istioctl).toBe(next);
    expect((await meshOn(['verify', '--skip-analyze'])).code).toBe(0);
    await kubectl('delete', 'namespace', 'up-app', '--wait=true', '--timeout=60s');
  });
});

/**
 * `mesh install` (helm, minimal) from the older Istio's charts. Charts from a source tree render the
 * image tag `latest`; --set tag=<version> makes the testbed run that version's istiod.
 */
const installFromOlderCharts = (...extra: string[]) => {
  const { MESH_ISTIO_PREVIOUS_SRC, MESH_ISTIO_PREVIOUS_VERSION } = testbedPaths();
  const charts = join(MESH_ISTIO_PREVIOUS_SRC, 'manifests', 'charts');
  return meshOn([
    'install',
    '--profile',
    'minimal',
    '--backend',
    'helm',
    '--charts',
    charts,
    '--set',
    `tag=${MESH_ISTIO_PREVIOUS_VERSION}`,
    ...extra,
    '-y',
  ]);
};

describe('mesh upgrade (helm backend): canary from the older charts to the newer', () => {
  // Charts from a source tree render the image tag `latest`; published charts carry their version,
  // which --set tag=<version> reproduces so the testbed runs each version's istiod.
  beforeAll(resetTestbed, 60_000);
  afterAll(async () => {
    for (const args of [
      ['-r', '1-31-0', '--force'],
      ['--purge', '--force'],
    ])
      await meshOn(['uninstall', ...args, '-y']);
  });

  it('installs release istiod-1-31-0 from the new charts, moves the namespace (recorded) and restarts it; removing the canary gives the label back', async () => {
    const { MESH_ISTIO_PREVIOUS_VERSION: old, MESH_ISTIO_VERSION: next, MESH_ISTIO_CHARTS } = testbedPaths();
    const install = await installFromOlderCharts('--set', 'values.pilot.env.MESH_E2E_MARK=kept');
    expect(install.code, install.stderr).toBe(0);
    await webApp();
    expect(await proxyTags()).toEqual([old, old]);
    // No --profile: the recorded intent is replayed, and --set given now layers on top of it.
    const up = await meshOn(['upgrade', '--to', next, '--charts', MESH_ISTIO_CHARTS, '--set', `tag=${next}`, '--restart', '-y']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain('moved up-app');
    expect(await istiodEnv('istiod-1-31-0')).toContain('MESH_E2E_MARK=kept');
    expect(JSON.parse(await kubectl('get', 'namespace', 'up-app', '-o', 'jsonpath={.metadata.labels}'))).toMatchObject({
      'istio.io/rev': '1-31-0',
    });
    await kubectl('rollout', 'status', 'deployment/web', '-n', 'up-app', '--timeout=60s');
    await expect.poll(proxyTags, { timeout: 30_000 }).toEqual([next, next]);
    expect((await meshOn(['verify', '-r', '1-31-0', '--skip-analyze'])).code).toBe(0);
    // rollback: the canary goes (forced: its proxies are still running), and the namespace is labelled as before
    const back = await meshOn(['uninstall', '-r', '1-31-0', '--force', '-y']);
    expect(back.code, back.stderr).toBe(0);
    const labels = JSON.parse(await kubectl('get', 'namespace', 'up-app', '-o', 'jsonpath={.metadata.labels}')) as Record<string, string>;
    expect(labels['istio-injection']).toBe('enabled');
    expect(labels['istio.io/rev']).toBeUndefined();
    await kubectl('delete', 'namespace', 'up-app', '--wait=true', '--timeout=60s');
  });
});

describe('mesh upgrade --in-place (helm backend)', () => {
  beforeAll(resetTestbed, 60_000);
  afterAll(async () => void (await meshOn(['uninstall', '--purge', '--force', '-y'])));

  it('upgrades every release (base included) to the new charts with the recorded intent, and restarts the injected workloads', async () => {
    const { MESH_ISTIO_PREVIOUS_VERSION: old, MESH_ISTIO_VERSION: next, MESH_ISTIO_CHARTS } = testbedPaths();
    const install = await installFromOlderCharts('--set', 'values.pilot.env.MESH_E2E_MARK=kept', '--cni');
    expect(install.code, install.stderr).toBe(0);
    await webApp();
    expect(await proxyTags()).toEqual([old, old]);
    const up = await meshOn([
      'upgrade',
      '--to',
      next,
      '--in-place',
      '--charts',
      MESH_ISTIO_CHARTS,
      '--set',
      `tag=${next}`,
      '--restart',
      '-y',
    ]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`in-place upgrade of revision default in istio-system: ${old} -> ${next}`);
    expect(up.stderr).toMatch(/verify -r default: \d+ ok, \d+ warn, 0 fail, 0 unknown/);
    expect((await istiodImages()).map((image) => image.slice(image.lastIndexOf(':') + 1))).toEqual([next]);
    expect(await istiodEnv('istiod')).toContain('MESH_E2E_MARK=kept');
    const releases = JSON.parse(await helm('list', '-n', 'istio-system', '-o', 'json')) as Array<{
      name: string;
      revision: string;
      status: string;
    }>;
    // --cni was a flag of the install, replayed from the record: the CNI release is upgraded too.
    expect(releases.map((r) => [r.name, r.revision, r.status]).sort()).toEqual([
      ['istio-base', '2', 'deployed'],
      ['istiod', '2', 'deployed'],
    ]);
    const cni = JSON.parse(await helm('list', '-n', 'kube-system', '-o', 'json')) as typeof releases;
    expect(cni.map((r) => [r.name, r.revision, r.status])).toEqual([['istio-cni', '2', 'deployed']]);
    await kubectl('rollout', 'status', 'deployment/web', '-n', 'up-app', '--timeout=60s');
    await expect.poll(proxyTags, { timeout: 30_000 }).toEqual([next, next]);
    expect((await meshOn(['verify', '--skip-analyze'])).code).toBe(0);
    await kubectl('delete', 'namespace', 'up-app', '--wait=true', '--timeout=60s');
  });
});

describe("mesh upgrade (helm backend): the base chart's default validator follows the control plane (UPGRADE-NOTES pain 1)", () => {
  beforeAll(resetTestbed, 60_000);
  afterAll(async () => void (await meshOn(['uninstall', '-r', '1-31-0', '--purge', '--force', '-y'])));
  const validatorRevision = async () =>
    kubectl('get', 'validatingwebhookconfiguration', 'istiod-default-validator', '-o', 'jsonpath={.metadata.labels.istio\\.io/rev}');

  it('refuses a revision-only install that would point it at no istiod, and moves it when the old default goes', async () => {
    const { MESH_ISTIO_VERSION: next, MESH_ISTIO_CHARTS } = testbedPaths();
    const helmFlags = ['--profile', 'minimal', '--backend', 'helm', '-y'];
    const solo = await meshOn(['install', '-r', 'solo', ...helmFlags, '--charts', MESH_ISTIO_CHARTS]);
    expect(solo.code).toBe(3);
    expect(solo.stderr).toMatch(
      /^Error: the base chart would point Istio's default validation \(istiod-default-validator\) at revision default, which has no istiod: every Istio config write would fail\nhint: pass --set values.defaultRevision=solo$/m,
    );
    expect(await kubectl('get', 'deployments,validatingwebhookconfigurations', '-A', '-o', 'name')).toBe('');

    const install = await installFromOlderCharts();
    expect(install.code, install.stderr).toBe(0);
    expect(await validatorRevision()).toBe('default');
    const up = await meshOn(['upgrade', '--to', next, '--charts', MESH_ISTIO_CHARTS, '--set', `tag=${next}`, '-y']);
    expect(up.code, up.stderr).toBe(0);
    // The old default goes: the validator moves to the canary before its istiod is removed.
    const removed = await meshOn(['uninstall', '-y']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stderr).toContain("point Istio's default validation (release istio-base's defaultRevision) at revision 1-31-0");
    expect(await validatorRevision()).toBe('1-31-0');
    const verify = await meshOn(['verify', '--skip-analyze', '-o', 'json']);
    expect(verify.code, verify.stdout).toBe(0);
    // A later upgrade of the canary replays its intent, which now keeps the validator where it works.
    const again = await meshOn(['upgrade', '--to', next, '--in-place', '--from', '1-31-0', '--charts', MESH_ISTIO_CHARTS, '-y']);
    expect(again.code, again.stderr).toBe(0);
    expect(await validatorRevision()).toBe('1-31-0');
    expect((await meshOn(['verify', '--skip-analyze'])).code).toBe(0);
  });
});
