import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { difference, kubectl, meshOn, namespaceLabels, resetTestbed, snapshot } from './helpers.js';
import { testbedPaths } from '../helpers/testbed.js';

/**
 * Issue 10's bookinfo on the testbed: applied from the release directory, every pod injected by
 * the real istiod, analyzed, its URL computed as the seeds do, and removed leaving the namespace as
 * the user had it (or gone, when mesh created it).
 */
const istioDir = () => testbedPaths().MESH_ISTIO_SRC;

beforeAll(async () => {
  resetTestbed();
  const install = await meshOn(['install', '--profile', 'demo', '-y']);
  expect(install.code, install.stderr).toBe(0);
}, 240_000);
afterAll(async () => void (await meshOn(['uninstall', '--purge', '-y'])));

describe('mesh sample bookinfo', () => {
  it("in the user's namespace: every pod injected, analyzed, a productpage URL; removal restores the namespace", async () => {
    await kubectl('create', 'namespace', 'shop');
    await kubectl('label', 'namespace', 'shop', 'team=payments', 'istio-injection=disabled');
    const labelsBefore = await namespaceLabels('shop');
    const before = await snapshot();

    const r = await meshOn(['sample', 'bookinfo', '--namespace', 'shop', '--istio-dir', istioDir(), '--timeout', '2m', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as {
      success: boolean;
      productpage: string;
      analyze: string[];
      steps: Array<{ id: string; detail?: string }>;
    };
    expect(result.success).toBe(true);
    expect(result.steps.find((s) => s.id === 'sidecars')?.detail).toBe('6 of 6 pods injected');
    // Checked for ourselves: the real istiod's webhook put the proxy into each pod.
    const proxies = await kubectl(
      'get',
      'pods',
      '-n',
      'shop',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name} {.spec.containers[*].name} {.spec.initContainers[*].name}{"\\n"}{end}',
    );
    const lines = proxies.trim().split('\n');
    expect(lines).toHaveLength(6);
    for (const line of lines) expect(line).toContain('istio-proxy');
    expect(await namespaceLabels('shop')).toEqual({ ...labelsBefore, 'istio-injection': 'enabled' });
    // The testbed has no load-balancer controller: the URL is the node port on the gateway's node, as seed 001 computes it.
    const nodePort = await kubectl(
      'get',
      'service',
      'istio-ingressgateway',
      '-n',
      'istio-system',
      '-o',
      "jsonpath={.spec.ports[?(@.name=='http2')].nodePort}",
    );
    const hostIp = await kubectl(
      'get',
      'pods',
      '-n',
      'istio-system',
      '-l',
      'istio=ingressgateway',
      '-o',
      'jsonpath={.items[0].status.hostIP}',
    );
    expect(result.productpage).toBe(`http://${hostIp}:${nodePort}/productpage`);
    expect(result.analyze.every((line) => !line.startsWith('analyze failed'))).toBe(true);

    const again = await meshOn(['sample', 'bookinfo', '--namespace', 'shop', '--istio-dir', istioDir()]);
    expect(again.code, again.stderr).toBe(0);
    expect(result.steps.find((s) => s.id === 'namespace')?.detail).toBe('labelled');
    expect(again.stderr).toContain('ok: label shop for injection: already labelled');

    // --dry-run names what the removal deletes (each object there now) and the labels it gives back; it changes nothing.
    const deployed = await snapshot();
    const dry = await meshOn(['sample', 'remove', 'bookinfo', '--namespace', 'shop', '--dry-run', '-o', 'json']);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout) as { objects: string[]; labels: Record<string, string | null>; deleteNamespace: boolean };
    expect(plan).toMatchObject({
      kind: 'SamplePlan',
      action: 'remove',
      deleteNamespace: false,
      record: 'ConfigMap/istio-system/mesh-install',
    });
    expect(plan.labels).toEqual({ 'istio-injection': labelsBefore['istio-injection'] });
    const asListed = plan.objects.map((ref) => ref.replace(/^([^/]+)\//, '$1 '));
    expect(asListed).toHaveLength(16);
    expect(asListed.filter((o) => !deployed.has(o))).toEqual([]);
    expect(difference(deployed, await snapshot())).toEqual([]);
    expect(await namespaceLabels('shop')).toEqual({ ...labelsBefore, 'istio-injection': 'enabled' });

    const removed = await meshOn(['sample', 'remove', 'bookinfo', '--namespace', 'shop']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await namespaceLabels('shop')).toEqual(labelsBefore);
    const now = await snapshot();
    expect(difference(now, before), 'left behind').toEqual([]);
    expect(difference(before, now), 'removed').toEqual([]);
    await kubectl('delete', 'namespace', 'shop', '--wait=true');
  });

  it('in a new namespace: created, then deleted with the sample; mesh uninstall removes a sample too', async () => {
    const before = await snapshot();
    expect((await meshOn(['sample', 'bookinfo', '--namespace', 'books', '--istio-dir', istioDir()])).code).toBe(0);
    expect((await meshOn(['sample', 'remove', 'bookinfo', '--namespace', 'books'])).code).toBe(0);
    expect(await kubectl('get', 'namespace', 'books', '--ignore-not-found', '-o', 'name')).toBe('');
    expect(difference(await snapshot(), before)).toEqual([]);

    expect((await meshOn(['sample', 'bookinfo', '--namespace', 'books2', '--istio-dir', istioDir()])).code).toBe(0);
    const all = await meshOn(['uninstall', '-y']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stderr).toContain('remove the samples mesh deployed (bookinfo in books2)');
    expect(await kubectl('get', 'namespace', 'books2', '--ignore-not-found', '-o', 'name')).toBe('');
    const reinstall = await meshOn(['install', '--profile', 'demo', '-y']);
    expect(reinstall.code, reinstall.stderr).toBe(0);
  });

  it.each<[string, string[], number, RegExp]>([
    ['an unknown gateway API', ['--gateway', 'nginx'], 2, /^Error: --gateway nginx: unknown\nhint: use one of: istio, gateway-api/],
    ['a bad request count', ['--check', 'many'], 2, /^Error: --check many: not a number of requests/],
    ['a release without the sample', ['--istio-dir', '/'], 2, /^Error: samples\/bookinfo\/platform\/kube\/bookinfo\.yaml is not in \//],
  ])('refuses %s before any change', async (_name, args, code, message) => {
    const before = await snapshot();
    const r = await meshOn([
      'sample',
      'bookinfo',
      '--namespace',
      'nope',
      ...(args.includes('--istio-dir') ? [] : ['--istio-dir', istioDir()]),
      ...args,
    ]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(difference(await snapshot(), before)).toEqual([]);
  });

  it('--check N reports what came back from the URL it computed (no data plane here: the connection fails, exit 5)', async () => {
    const r = await meshOn(['sample', 'bookinfo', '--namespace', 'checked', '--istio-dir', istioDir(), '--check', '2', '-o', 'json']);
    expect(r.code).toBe(5);
    const result = JSON.parse(r.stdout) as { check: { requests: number; results: Record<string, number>; ok: boolean } };
    expect(result.check.requests).toBe(2);
    expect(result.check.ok).toBe(false);
    expect(Object.values(result.check.results).reduce((a, b) => a + b, 0)).toBe(2);
    expect((await meshOn(['sample', 'remove', 'bookinfo', '--namespace', 'checked'])).code).toBe(0);
  });
});
