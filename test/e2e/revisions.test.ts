import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charts, deployWeb, kubectl, meshOn, resetTestbed } from './helpers.js';

/**
 * Control planes side by side (issue 15): `--revision` on install, verify, status, diff and
 * uninstall, one record each; an old revision is not removed while proxies use it; removing one
 * revision leaves the other, its shared releases and the CRDs working.
 */
const backends = [
  { name: 'istioctl', flags: [] as string[] },
  { name: 'helm', flags: ['--backend', 'helm', '--charts', charts()] },
];

const proxyRevisions = async (ns: string) =>
  (await kubectl('get', 'pods', '-n', ns, '-o', 'jsonpath={range .items[*]}{.metadata.annotations.istio\\.io/rev}{" "}{end}'))
    .trim()
    .split(' ')
    .filter(Boolean);

/** What carries a tag's label, named as `mesh tag --dry-run` names it: what istioctl's tag set creates and tag remove deletes. */
const taggedObjects = async (tag: string) => {
  const hooks = await kubectl(
    ...['get', 'mutatingwebhookconfigurations,validatingwebhookconfigurations', '-l', `istio.io/tag=${tag}`],
    ...['-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name}{"\\n"}{end}'],
  );
  const services = await kubectl(
    ...['get', 'services', '-n', 'istio-system', '-l', `istio.io/tag=${tag}`],
    ...['-o', 'jsonpath={range .items[*]}Service/istio-system/{.metadata.name}{"\\n"}{end}'],
  );
  return `${hooks}${services}`.split('\n').filter(Boolean).sort();
};

describe.each(backends)('revisions side by side ($name backend)', ({ flags }) => {
  const install = (...args: string[]) => meshOn(['install', '--profile', 'minimal', ...flags, ...args, '-y']);
  beforeAll(resetTestbed, 60_000);
  afterAll(async () => {
    await meshOn(['uninstall', '--revision', 'canary', '--force', '-y']);
    await meshOn(['uninstall', '--purge', '-y']);
  });

  it('installs a canary beside the default revision, each with its own record, verify, status and diff', async () => {
    expect((await install()).code).toBe(0);
    const canary = await install('--revision', 'canary');
    expect(canary.code, canary.stderr).toBe(0);
    expect(canary.stderr).toContain('ConfigMap istio-system/mesh-install-canary');
    const deployments = await kubectl('get', 'deployments', '-n', 'istio-system', '-o', 'name');
    expect(deployments).toContain('deployment.apps/istiod\n');
    expect(deployments).toContain('deployment.apps/istiod-canary');
    for (const revision of [[], ['--revision', 'canary']]) {
      const verify = await meshOn(['verify', ...revision, '--skip-analyze', '-o', 'json']);
      expect(verify.code, verify.stdout).toBe(0);
      const status = JSON.parse((await meshOn(['status', ...revision, '-o', 'json'])).stdout);
      expect(status.record.revision).toBe(revision.length ? 'canary' : '');
      expect(status.drift).toMatchObject({ checked: true, objects: [] });
      const diff = await meshOn(['diff', '--profile', 'minimal', ...flags, ...revision]);
      expect(diff.code, diff.stdout).toBe(0);
    }
    const bad = await install('--revision', '1.31.0');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^Error: --revision 1\.31\.0: not a valid revision .*\nhint: e\.g\. --revision 1-31-0/m);
  });

  it('tags: set, list, moved only with --overwrite, and a revision a tag points at is not removed', async () => {
    // --dry-run names what istioctl's tag set then creates (its `tag generate` is the oracle), and changes nothing.
    const dry = await meshOn(['tag', 'set', 'prod', '--revision', 'canary', '--dry-run', '-o', 'json']);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout) as { objects: string[] };
    expect(plan).toMatchObject({ kind: 'TagPlan', action: 'set', changed: true, records: ['ConfigMap/istio-system/mesh-install-canary'] });
    expect(plan.objects).toContain('MutatingWebhookConfiguration/istio-revision-tag-prod');
    expect(await taggedObjects('prod')).toEqual([]);
    const set = await meshOn(['tag', 'set', 'prod', '--revision', 'canary']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stderr).toContain('tag prod -> revision canary');
    const list = JSON.parse((await meshOn(['tag', 'list', '-o', 'json'])).stdout) as { tags: Array<{ tag: string; revision: string }> };
    expect(list.tags.map((t) => `${t.tag}->${t.revision}`)).toContain('prod->canary');
    expect(await taggedObjects('prod')).toEqual([...plan.objects].sort());
    const unchanged = await meshOn(['tag', 'set', 'prod', '--revision', 'canary', '--dry-run']);
    expect(unchanged.stdout).toContain('tag prod already points at revision canary: nothing to change');
    const status = JSON.parse((await meshOn(['status', '--revision', 'canary', '-o', 'json', '--no-drift'])).stdout);
    expect(status.record.tags).toEqual(['prod']);
    const again = await meshOn(['tag', 'set', 'prod', '--revision', 'canary']);
    expect(again.stderr).toContain('tag prod already points at revision canary');
    const move = await meshOn(['tag', 'set', 'prod', '--revision', 'default']);
    expect(move.code).toBe(3);
    expect(move.stderr).toMatch(/^Error: tag prod points at revision canary\nhint: pass --overwrite/m);
    const missing = await meshOn(['tag', 'set', 'prod', '--revision', 'nope', '--overwrite']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/revision nope has no istiod/);
    const uninstall = await meshOn(['uninstall', '--revision', 'canary', '-y']);
    expect(uninstall.code).toBe(3);
    expect(uninstall.stderr).toMatch(/^Error: tag prod still points at revision canary\nhint: move it first: mesh tag set prod/m);
    const verify = await meshOn(['verify', '--skip-analyze', '-o', 'json']);
    const revisions = (
      JSON.parse(verify.stdout) as { categories: Array<{ checks: Array<{ id: string; status: string; message: string }> }> }
    ).categories
      .flatMap((c) => c.checks)
      .find((c) => c.id === 'webhook-revisions')!;
    expect(revisions).toMatchObject({ status: 'ok', message: expect.stringContaining('prod->canary') });
    const removal = await meshOn(['tag', 'remove', 'prod', '--dry-run', '-o', 'json']);
    const removing = (JSON.parse(removal.stdout) as { objects: string[] }).objects;
    expect(removing.sort()).toEqual(await taggedObjects('prod'));
    expect(JSON.parse(removal.stdout).records).toEqual(['ConfigMap/istio-system/mesh-install-canary']);
    const removed = await meshOn(['tag', 'remove', 'prod']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await taggedObjects('prod')).toEqual([]);
    expect(JSON.parse((await meshOn(['tag', 'list', '-o', 'json'])).stdout).tags.map((t: { tag: string }) => t.tag)).not.toContain('prod');
  });

  it('refuses to remove a revision while pods or namespaces use it, naming them; nothing changes', async () => {
    await kubectl('create', 'namespace', 'rev-app');
    await kubectl('label', 'namespace', 'rev-app', 'istio.io/rev=canary');
    await deployWeb('rev-app');
    expect(await proxyRevisions('rev-app')).toEqual(['canary', 'canary']);
    const refused = await meshOn(['uninstall', '--revision', 'canary', '-y']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^Error: revision canary is still used by 2 pods \(rev-app\/web-[^)]+\) and namespace rev-app\nhint: /m);
    expect(await kubectl('get', 'deployments', '-n', 'istio-system', '-o', 'name')).toContain('istiod-canary');
    const purge = await meshOn(['uninstall', '--purge', '-y']);
    expect(purge.code).toBe(3);
    expect(purge.stderr).toMatch(/--purge removes the Istio CRDs every control plane uses, and revision canary still runs/);
  });

  it('once the namespace moved back, removes the canary only: the default revision, shared releases and CRDs stay', async () => {
    await kubectl('label', 'namespace', 'rev-app', 'istio.io/rev-', 'istio-injection=enabled');
    // moved, not yet restarted: verify names the stale proxies and the restart
    const stale = await meshOn(['verify', '--skip-analyze', '-o', 'json']);
    const revisions = (
      JSON.parse(stale.stdout) as { categories: Array<{ checks: Array<{ id: string; status: string; message: string; hint?: string }> }> }
    ).categories
      .flatMap((c) => c.checks)
      .find((c) => c.id === 'data-plane-revisions')!;
    expect(revisions.status).toBe('warn');
    expect(revisions.message).toContain('rev-app (revision canary, namespace injects default): deployment/web');
    expect(revisions.hint).toMatch(/^kubectl rollout restart deployment\/web -n rev-app/);
    await kubectl('rollout', 'restart', 'deployment/web', '-n', 'rev-app');
    await kubectl('rollout', 'status', 'deployment/web', '-n', 'rev-app', '--timeout=60s');
    await expect.poll(() => proxyRevisions('rev-app'), { timeout: 30_000 }).toEqual(['default', 'default']);
    const removed = await meshOn(['uninstall', '--revision', 'canary', '-y']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stderr).toContain('revision default and the Istio CRDs stay');
    const deployments = await kubectl('get', 'deployments', '-n', 'istio-system', '-o', 'name');
    expect(deployments).not.toContain('istiod-canary');
    expect(deployments).toContain('deployment.apps/istiod');
    expect(await kubectl('get', 'crd', 'virtualservices.networking.istio.io', '-o', 'name')).toContain('virtualservices');
    expect(await kubectl('get', 'configmap', '-n', 'istio-system', '-o', 'name')).not.toContain('mesh-install-canary');
    const verify = await meshOn(['verify', '--skip-analyze', '-o', 'json']);
    expect(verify.code, verify.stdout).toBe(0);
    // a new pod still gets its sidecar from the default revision
    await kubectl('rollout', 'restart', 'deployment/web', '-n', 'rev-app');
    await kubectl('rollout', 'status', 'deployment/web', '-n', 'rev-app', '--timeout=60s');
    await expect.poll(() => proxyRevisions('rev-app'), { timeout: 30_000 }).toEqual(['default', 'default']);
    await kubectl('delete', 'namespace', 'rev-app', '--wait=true', '--timeout=60s');
  });

  it('a tag left pointing at a removed revision (--force) fails verify, naming the tag and the way out', async () => {
    expect((await install('--revision', 'gone')).code).toBe(0);
    expect((await meshOn(['tag', 'set', 'stale', '--revision', 'gone'])).code).toBe(0);
    const forced = await meshOn(['uninstall', '--revision', 'gone', '--force', '-y']);
    expect(forced.code, forced.stderr).toBe(0);
    const verify = await meshOn(['verify', '--skip-analyze', '-o', 'json']);
    expect(verify.code).toBe(5);
    const check = (
      JSON.parse(verify.stdout) as { categories: Array<{ checks: Array<{ id: string; status: string; message: string; hint?: string }> }> }
    ).categories
      .flatMap((c) => c.checks)
      .find((c) => c.id === 'webhook-revisions')!;
    expect(check.status).toBe('fail');
    expect(check.message).toMatch(/istio-revision-tag-stale \(tag stale\) points at revision gone, which has no istiod/);
    expect(check.hint).toMatch(/^mesh tag set stale --revision <a running revision: default> --overwrite/);
    expect((await meshOn(['tag', 'remove', 'stale'])).code).toBe(0);
    expect((await meshOn(['verify', '--skip-analyze'])).code).toBe(0);
  });
});
