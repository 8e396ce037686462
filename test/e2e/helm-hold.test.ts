import { chmodSync, readdirSync, readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { charts, difference, helm, kubectl, kubectlApply, meshOn, resetTestbed, snapshot } from './helpers.js';
import { toolPath } from '../helpers/testbed.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Issue 12: the helm backend starts its first release's `helm upgrade --install` before preflight
 * and holds it after helm's render (its post-renderer, bin/helm-hold.js, waits for mesh), instead
 * of rendering the chart once with `helm template` and again at the apply. Proven here: helm
 * installs exactly what bare helm installs from the same values, a render helm refuses changes
 * nothing (also over an installed release), nothing of the hold outlives mesh, and a helm that
 * takes no exec post-renderer (Helm 4) is checked and applied as before.
 */
beforeAll(resetTestbed, 120_000);

const tmp = tempDir();
const flags = ['--profile', 'minimal', '--backend', 'helm', '--charts', charts()];

/** The processes whose command line names mesh's post-renderer: a held helm, or its hold, still running. */
function holdsRunning(): string[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('helm-hold.sock');
      } catch {
        return false;
      }
    });
}

const history = async () =>
  (JSON.parse(await helm('history', 'istio-base', '-n', 'istio-system', '-o', 'json')) as Array<{ status: string }>).map((h) => h.status);

/** Back to no Istio after a bare helm install: the releases, the CRDs the base chart keeps, the namespace. */
async function removeBareInstall(): Promise<void> {
  await helm('uninstall', 'istio-base', '-n', 'istio-system');
  const crds = (await kubectl('get', 'customresourcedefinitions', '-o', 'name')).split('\n').filter((n) => /\.istio\.io$/.test(n));
  if (crds.length) await kubectl('delete', ...crds, '--wait=true');
  await kubectl('delete', 'namespace', 'istio-system', '--wait=true');
}

describe("helm's first release, held after its render", () => {
  // Each case starts from a cluster without Istio.
  afterEach(async () => void (await meshOn(['uninstall', '--purge', '-y'])));

  it('installs exactly what bare helm installs from the same values; bad values over it change nothing', async () => {
    const install = await meshOn(['install', ...flags, '-y', '--verbose']);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).toMatch(
      /^\$ \S+ upgrade --install istio-base \S+\/base .*--values \S+istio-base\.values\.yaml .*--post-renderer \S+ --post-renderer-args \S+\/bin\/helm-hold\.js --post-renderer-args \S+\/helm-hold\.sock \(started before preflight, held after its render until now\)$/m,
    );
    // The release after it is rendered by `helm template` and applied afresh, without a hold.
    expect(install.stderr).toMatch(
      /^\$ \S+ upgrade --install istiod \S+ --namespace istio-system --create-namespace --reset-values --values \S+( --kubeconfig \S+)?$/m,
    );
    expect(holdsRunning()).toEqual([]);
    expect(await history()).toEqual(['deployed']);
    const installed = await helm('get', 'manifest', 'istio-base', '-n', 'istio-system');

    // A value the chart refuses, over the installed release: helm's words, exit 2, no new revision,
    // the record untouched. (istiod itself writes ConfigMaps as it starts: no snapshot compared here.)
    const recordVersion = () =>
      kubectl('get', 'configmap', 'mesh-install', '-n', 'istio-system', '-o', 'jsonpath={.metadata.resourceVersion}');
    const recordBefore = await recordVersion();
    const bad = await meshOn(['install', ...flags, '--set', 'values.profile=nope', '-y']);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toContain(
      'Error: helm rejects the values mesh rendered for release istio-base: ' +
        'execution error at (base/templates/zzz_profile.yaml:31:3): unknown profile nope\n',
    );
    expect(bad.stderr).not.toMatch(/UPGRADE FAILED|record the install|helm upgrade/);
    expect(await history()).toEqual(['deployed']);
    expect(await helm('get', 'manifest', 'istio-base', '-n', 'istio-system')).toBe(installed);
    expect(await recordVersion()).toBe(recordBefore);
    expect(holdsRunning()).toEqual([]);

    // The oracle: bare helm, the same chart and values, on the same cluster emptied.
    const render = JSON.parse((await meshOn(['render', '--profile', 'minimal', '--backend', 'helm', '-o', 'json'])).stdout) as {
      releases: Array<{ release: string; values: unknown }>;
    };
    const values = tmp.write('istio-base.values.json', JSON.stringify(render.releases.find((r) => r.release === 'istio-base')!.values));
    expect((await meshOn(['uninstall', '--purge', '-y'])).code).toBe(0);
    await helm('upgrade', '--install', 'istio-base', `${charts()}/base`, '-n', 'istio-system', '--create-namespace', '--values', values);
    const bare = await helm('get', 'manifest', 'istio-base', '-n', 'istio-system');
    await removeBareInstall();
    expect(installed.length).toBeGreaterThan(100_000);
    expect(installed).toBe(bare);
  });

  it('a check failing after helm started (another run holds the lock): helm is told no, exit 3, nothing installed or left running', async () => {
    await kubectl('create', 'namespace', 'istio-system');
    const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'mesh-lock', namespace: 'istio-system' },
      spec: { holderIdentity: 'ci@runner-7 pid 4242 (mesh install)', leaseDurationSeconds: 300, acquireTime: now, renewTime: now },
    };
    await kubectlApply(lease);
    try {
      const before = await snapshot();
      const r = await meshOn(['install', ...flags, '-y']);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain('Error: another mesh run is changing istio-system: ci@runner-7 pid 4242 (mesh install)');
      expect(holdsRunning()).toEqual([]);
      await expect(helm('status', 'istio-base', '-n', 'istio-system')).rejects.toThrow(/release: not found/);
      expect(difference(await snapshot(), before)).toEqual([]);
    } finally {
      await kubectl('delete', 'namespace', 'istio-system', '--wait=true');
    }
  });

  it('--dry-run=server holds nothing: with no apply to share it, the render is helm template offline', async () => {
    const before = await snapshot();
    const r = await meshOn(['install', ...flags, '--dry-run=server', '--verbose']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('--post-renderer');
    expect(holdsRunning()).toEqual([]);
    expect(difference(await snapshot(), before)).toEqual([]);
  });

  it('a helm that takes no exec post-renderer (Helm 4: plugins only) is checked with helm template and applied afresh', async () => {
    // The testbed's Helm 3, refusing --post-renderer in Helm 4's words.
    const helm4ish = tmp.write(
      'helm',
      '#!/bin/sh\nfor a in "$@"; do\n  if [ "$a" = --post-renderer ]; then\n' +
        '    echo \'Error: invalid argument "x" for "--post-renderer" flag: plugin: {Name:x Type:postrenderer/v1} not found\' >&2\n' +
        `    exit 1\n  fi\ndone\nexec ${toolPath('helm')} "$@"\n`,
    );
    chmodSync(helm4ish, 0o755);
    const r = await meshOn(['install', ...flags, '--helm', helm4ish, '-y', '--verbose']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^\$ \S+\/helm upgrade --install istio-base \S+ --namespace istio-system --create-namespace --reset-values --values \S+( --kubeconfig \S+)?$/m,
    );
    expect(await history()).toEqual(['deployed']);
    expect(holdsRunning()).toEqual([]);
  });
});
