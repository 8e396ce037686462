import { beforeAll, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { spawn } from 'node:child_process';
import {
  check,
  kubeconfig,
  kubectl,
  kubectlApply,
  meshOn,
  proxyToTestbed,
  recordingIstioctl,
  report,
  resetTestbed,
  serviceAccountKubeconfig,
} from './helpers.js';
import { mesh, meshBin } from '../helpers/mesh.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { parseAllDocuments } from 'yaml';
import { testbedPaths } from '../helpers/testbed.js';
import { CHECK_IDS } from '../../src/verify/catalog.js';

/**
 * Issue 5's proof: every failure and warning verify knows, provoked for real on the testbed
 * (with a real istiod answering the webhooks), asserting id, status, hint and exit code.
 */
const pod = (name: string, containers: Array<{ name: string; image: string }>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'shop', labels: { app: name } },
  spec: { containers },
});

describe('mesh verify on the testbed', () => {
  beforeAll(async () => {
    resetTestbed();
    await kubectl('create', 'namespace', 'shop');
    // Created before injection is switched on: one plain pod, one with an old proxy.
    await kubectlApply(pod('legacy', [{ name: 'app', image: 'nginx' }]));
    await kubectlApply(
      pod('old-proxy', [
        { name: 'app', image: 'nginx' },
        { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.29.0' },
      ]),
    );
    const install = await meshOn(['install', '--profile', 'default', '--inject-namespace', 'shop', '-y', '--timeout', '2m']);
    expect(install.code, install.stderr).toBe(0);
    // Created after: the real istiod injects it.
    await kubectl('create', 'deployment', 'fresh', '--image=nginx', '-n', 'shop');
    await kubectl('rollout', 'status', 'deployment/fresh', '-n', 'shop', '--timeout=60s');
  }, 300_000);

  const verifyAs = (path: string, args: string[]) =>
    mesh(['--kubeconfig', path, 'verify', '-o', 'json', ...args], {
      env: { PATH: `${testbedPaths().MESH_TESTBED_BIN}:${process.env.PATH}` },
    });

  it('a `view`-only user gets no failed check on a healthy mesh: what it may not read is unknown, with the permission', async () => {
    const path = await serviceAccountKubeconfig('ci-viewer', 'view');
    const r = await verifyAs(path, []);
    const rep = report(r);
    const all = rep.categories.flatMap((c) => c.checks);
    expect(all.filter((c) => c.status === 'fail')).toEqual([]);
    expect(r.code, r.stdout).toBe(0);
    for (const id of ['crds-present', 'crds-established', 'webhook-injector', 'webhook-validation'])
      expect(check(r, id)).toMatchObject({ status: 'unknown', message: expect.stringMatching(/^could not read: list \S+ \(forbidden\)/) });
    expect(check(r, 'kubernetes-permissions').status).toBe('warn');
    expect(check(r, 'control-plane-available').status).toBe('ok');
    expect(r.stdout).not.toContain(readFileSync(path, 'utf8').match(/token: (\S+)/)![1]);
    // --strict: CI that must know everything was checked
    expect((await verifyAs(path, ['--strict'])).code).toBe(5);
  });

  it('status for a user who may read the record but not Deployments or RBAC: those are unknown with the permission, never missing', async () => {
    await kubectlApply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'record-reader' },
      rules: [{ apiGroups: [''], resources: ['configmaps', 'namespaces', 'pods', 'services'], verbs: ['get', 'list', 'watch'] }],
    });
    const path = await serviceAccountKubeconfig('record-reader', 'record-reader');
    const statusAs = (args: string[]) =>
      mesh(['--kubeconfig', path, 'status', ...args], { env: { PATH: `${testbedPaths().MESH_TESTBED_BIN}:${process.env.PATH}` } });
    const json = await statusAs(['-o', 'json', '--no-drift']);
    expect(json.code, json.stderr).toBe(0);
    const status = JSON.parse(json.stdout) as { installed: boolean; live: { controlPlaneVersion: string | null; workloads: unknown[] } };
    expect(status.installed).toBe(true);
    expect(status.live.controlPlaneVersion).toBeNull();
    const refused = 'could not read it (list deployments.apps in istio-system: forbidden)';
    expect(status.live.workloads).toEqual(
      ['istiod', 'istio-ingressgateway'].map((name) => ({ workload: `Deployment/istio-system/${name}`, ready: null, status: refused })),
    );
    const text = await statusAs([]);
    expect(text.stdout).toContain('live: control plane unknown (list deployments.apps in istio-system: forbidden)');
    expect(text.stdout).not.toMatch(/NOT READY|not found/);
    // Drift: nothing could be compared, so nothing is said to differ; each object names what was refused, briefly.
    expect(text.stdout).toMatch(/^drift: unknown, (\d+) of \1 objects could not be compared$/m);
    expect(text.stdout).toContain(
      'unknown  ClusterRole istiod-clusterrole-istio-system: forbidden: cannot get clusterroles.rbac.authorization.k8s.io\n',
    );
    expect(text.stdout).toMatch(/unknown {2}Deployment istio-system\/istiod: forbidden: cannot get deployments\.apps in istio-system\n/);
    expect(text.stdout).not.toContain(readFileSync(path, 'utf8').match(/token: (\S+)/)![1]);
  });

  it('with the ClusterRoles `mesh verify --print-role` prints, every check runs; without the analyze one, all but analyze', async () => {
    for (const doc of parseAllDocuments((await meshOn(['verify', '--print-role'])).stdout)) await kubectlApply(doc.toJS() as object);
    const known = (r: Awaited<ReturnType<typeof verifyAs>>) =>
      report(r)
        .categories.flatMap((c) => c.checks)
        .filter((c) => c.status === 'unknown' || c.status === 'fail');
    const checksOnly = await verifyAs(await serviceAccountKubeconfig('ci-checks', 'mesh-verify'), ['--skip-analyze', '--strict']);
    expect(known(checksOnly)).toEqual([]);
    expect(check(checksOnly, 'kubernetes-permissions')).toMatchObject({ status: 'ok', message: 'all reads permitted' });
    const everything = await verifyAs(await serviceAccountKubeconfig('ci-verifier', 'mesh-verify', 'mesh-verify-analyze'), []);
    expect(everything.code, everything.stdout).toBe(0);
    expect(known(everything)).toEqual([]);
    expect(check(everything, 'config-analyze').status).not.toBe('skip');
  });

  it('passes with warnings: exit 0, and the injected pod really got a sidecar', async () => {
    const containers = await kubectl(
      'get',
      'pods',
      '-n',
      'shop',
      '-l',
      'app=fresh',
      '-o',
      'jsonpath={.items[0].spec.containers[*].name} {.items[0].spec.initContainers[*].name}',
    );
    expect(containers).toContain('istio-proxy');
    const r = await meshOn(['verify', '-o', 'json']);
    expect(r.code, r.stdout).toBe(0);
    const rep = report(r);
    expect(rep).toMatchObject({ schemaVersion: 1, success: true });
    expect((rep as unknown as { apiRequests: number }).apiRequests).toBeLessThanOrEqual(15);
    for (const id of [
      'kubernetes-api',
      'control-plane-available',
      'control-plane-pods',
      'crds-present',
      'crds-established',
      'webhook-injector',
      'webhook-validation',
      'webhook-ca-bundle',
      'webhook-revisions',
      'webhook-service',
    ])
      expect(check(r, id).status, id).toBe('ok');
    // istioctl's default tag has an injector and a validator: named once.
    expect(check(r, 'webhook-revisions').message).toMatch(/^revisions default(; tags default->default)?$/);
  });

  it('--only and --skip read only what the chosen checks stand on: --only control-plane lists no data-plane pods', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-reads-'));
    let paths: string[] = [];
    const proxy = await proxyToTestbed(dir, (_, path) => void paths.push(path));
    const readsOf = async (...args: string[]) => {
      paths = [];
      const r = await mesh(['--kubeconfig', proxy.kubeconfig, 'verify', '-o', 'json', '--skip-analyze', ...args]);
      return { r, paths: paths.map((p) => p.split('?')[0]) };
    };
    const verdicts = (r: Awaited<ReturnType<typeof mesh>>, category: string) =>
      report(r)
        .categories.find((c) => c.id === category)
        ?.checks.map((c) => [c.id, c.status, c.message]);
    try {
      const full = await readsOf();
      expect(full.paths).toContain('/api/v1/namespaces/shop/pods');
      const controlPlane = await readsOf('--only', 'control-plane');
      expect(controlPlane.r.code, controlPlane.r.stderr).toBe(0);
      expect(controlPlane.paths).not.toContain('/api/v1/namespaces/shop/pods');
      expect(controlPlane.paths).not.toContain('/api/v1/namespaces');
      expect(controlPlane.paths).toContain('/api/v1/namespaces/istio-system/pods');
      // What it did read, it judged as the full run did.
      expect(verdicts(controlPlane.r, 'control-plane')).toEqual(verdicts(full.r, 'control-plane'));
      expect(report(controlPlane.r).apiRequests).toBeLessThan(report(full.r).apiRequests);
      expect((await readsOf('--skip', 'data-plane')).paths).not.toContain('/api/v1/namespaces/shop/pods');
      // kubernetes-permissions judges every read: selected, it has them all made.
      expect((await readsOf('--only', 'kubernetes')).paths).toContain('/api/v1/namespaces/shop/pods');
    } finally {
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('warns about a pod created before injection, with a restart hint', async () => {
    const c = check(await meshOn(['verify', '-o', 'json', '--only', 'data-plane']), 'data-plane-injection');
    expect(c.status).toBe('warn');
    expect(c.message).toMatch(/1 of 3 pods have no istio-proxy: shop\/pod\/legacy \(1\)/);
    expect(c.hint).toContain('created before injection was enabled');
    // The hint is a command kubectl runs (server-side dry run): `rollout restart pod/legacy` was
    // refused ("pods "legacy" restarting is not supported"), a pod no controller owns.
    const command = /e\.g\. (kubectl [^,]+)/.exec(c.hint ?? '')?.[1];
    expect(command).toBe('kubectl delete pod legacy -n shop');
    await kubectl(...command!.split(' ').slice(1), '--dry-run=server');
  });

  it('warns about proxy versions that differ from the control plane, listed with counts', async () => {
    const c = check(await meshOn(['verify', '-o', 'json', '--only', 'data-plane']), 'data-plane-version');
    expect(c.status).toBe('warn');
    expect(c.message).toBe('control plane 1.31.0; proxies: 1.29.0 (1), 1.31.0 (1)');
    expect(c.hint).toContain('restart');
  });

  it('warns about a LoadBalancer gateway with no address, showing the alternatives', async () => {
    const c = check(await meshOn(['verify', '-o', 'json', '--only', 'gateways']), 'gateway-services');
    expect(c.status).toBe('warn');
    expect(c.message).toMatch(
      /istio-ingressgateway LoadBalancer without an external address \(meanwhile its node port: http:\/\/[\d.]+:\d+\)/,
    );
    expect(c.hint).toMatch(/--ingress-type NodePort.*--ingress-host-network/);
  });

  it('merges istioctl analyze messages into the report; --skip-analyze leaves them out', async () => {
    const c = check(await meshOn(['verify', '-o', 'json', '--only', 'config']), 'config-analyze');
    expect(c.status).toBe('warn');
    expect(c.message).toContain('IST0103');
    expect(check(await meshOn(['verify', '-o', 'json', '--only', 'config', '--skip-analyze']), 'config-analyze').status).toBe('skip');
    expect(
      check(await meshOn(['verify', '-o', 'json', '--only', 'config', '--istioctl', 'no-such-istioctl']), 'config-analyze').message,
    ).toContain('not found on PATH');
  });

  it('runs the real analyze over every namespace, one core short of the machine and GOGC=400 unless the user set them', async () => {
    const recording = recordingIstioctl('mesh-analyze-');
    const istioctl = recording.path;
    try {
      expect(check(await meshOn(['verify', '-o', 'json', '--only', 'config', '--istioctl', istioctl]), 'config-analyze').message).toContain(
        'IST0103',
      );
      await meshOn(['verify', '-o', 'json', '--only', 'config', '--istioctl', istioctl], { GOMAXPROCS: '7', GOGC: '50' });
      const analyzes = recording.starts().filter((line) => line.includes(' analyze '));
      expect(analyzes).toEqual([
        expect.stringMatching(new RegExp(`^${Math.max(1, availableParallelism() - 1)}/400 analyze --all-namespaces -o json --kubeconfig `)),
        expect.stringMatching(/^7\/50 analyze --all-namespaces -o json --kubeconfig /),
      ]);
    } finally {
      recording.remove();
    }
  });

  it('--strict turns warnings into exit 5; junit has one testcase per check', async () => {
    expect((await meshOn(['verify', '--strict', '--skip-analyze'])).code).toBe(5);
    const junit = await meshOn(['verify', '-o', 'junit', '--skip-analyze']);
    expect(junit.code).toBe(0);
    const xml = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      isArray: (name) => ['testsuite', 'testcase'].includes(name),
    }).parse(junit.stdout);
    const cases = xml.testsuites.testsuite.flatMap(
      (s: { testcase: Array<{ name: string; skipped?: unknown; failure?: unknown }> }) => s.testcase,
    );
    expect(cases.map((t: { name: string }) => t.name)).toEqual(CHECK_IDS);
    expect(cases.find((t: { name: string }) => t.name === 'config-analyze').skipped).toBeDefined();
    expect(cases.find((t: { name: string }) => t.name === 'config-istioctl-version').skipped).toBeDefined();
    expect(cases.filter((t: { failure?: unknown }) => t.failure)).toEqual([]);
  });

  it('fails when an Istio CRD is deleted', async () => {
    const crd = await kubectl('get', 'crd', 'telemetries.telemetry.istio.io', '-o', 'json');
    await kubectl('delete', 'crd', 'telemetries.telemetry.istio.io');
    const r = await meshOn(['verify', '-o', 'json', '--only', 'crds']);
    expect(r.code).toBe(5);
    const c = check(r, 'crds-present');
    expect([c.status, c.message]).toEqual(['fail', 'missing 1 of 14: telemetries.telemetry.istio.io']);
    expect(c.hint).toContain('mesh install');
    const restored = JSON.parse(crd);
    delete restored.metadata.resourceVersion;
    delete restored.metadata.uid;
    delete restored.status;
    await kubectlApply(restored);
  });

  it('fails when the injector Service has no endpoints', async () => {
    const selector = await kubectl('get', 'service', 'istiod', '-n', 'istio-system', '-o', 'jsonpath={.spec.selector}');
    await kubectl('patch', 'service', 'istiod', '-n', 'istio-system', '--type=merge', '-p', '{"spec":{"selector":{"app":"nobody"}}}');
    try {
      const r = await meshOn(['verify', '-o', 'json', '--only', 'webhooks']);
      expect(r.code).toBe(5);
      const c = check(r, 'webhook-service');
      expect([c.status, c.message]).toEqual(['fail', 'Service istio-system/istiod has no ready endpoints']);
      expect(c.hint).toContain('cannot call the webhook');
    } finally {
      await kubectl(
        'patch',
        'service',
        'istiod',
        '-n',
        'istio-system',
        '--type=json',
        '-p',
        JSON.stringify([{ op: 'replace', path: '/spec/selector', value: JSON.parse(selector) }]),
      );
    }
  });

  it('fails with the scheduler reason when an istiod pod is stuck Pending', async () => {
    await kubectl(
      'patch',
      'deployment',
      'istiod',
      '-n',
      'istio-system',
      '--type=merge',
      '-p',
      '{"spec":{"template":{"spec":{"nodeSelector":{"disktype":"unobtainium"}}}}}',
    );
    try {
      await new Promise((r) => setTimeout(r, 2000));
      const r = await meshOn(['verify', '-o', 'json', '--only', 'control-plane']);
      expect(r.code).toBe(5);
      const pods = check(r, 'control-plane-pods');
      expect(pods.status).toBe('fail');
      expect(pods.message).toMatch(/pod istiod-[a-z0-9-]+ Pending\/Unschedulable: 0\/3 nodes are available/);
      expect(pods.hint).toContain('nodeSelector');
      expect(check(r, 'control-plane-available').message).toContain('rollout in progress');
    } finally {
      await kubectl(
        'patch',
        'deployment',
        'istiod',
        '-n',
        'istio-system',
        '--type=json',
        '-p',
        '[{"op":"remove","path":"/spec/template/spec/nodeSelector"}]',
      );
      await kubectl('rollout', 'status', 'deployment/istiod', '-n', 'istio-system', '--timeout=60s');
    }
  });

  it('fails when istiod is scaled to 0, and --wait returns as soon as it is back', async () => {
    await kubectl('scale', 'deployment', 'istiod', '-n', 'istio-system', '--replicas=0');
    await kubectl('wait', '--for=delete', 'pod', '-l', 'app=istiod', '-n', 'istio-system', '--timeout=60s');
    const down = await meshOn(['verify', '-o', 'json', '--skip-analyze']);
    expect(down.code).toBe(5);
    const c = check(down, 'control-plane-available');
    expect([c.status, c.message]).toEqual(['fail', 'Deployment istiod: scaled to 0 replicas']);
    expect(c.hint).toContain('kubectl scale');

    const started = Date.now();
    const waiting = meshOn(['verify', '--wait', '3m', '--skip-analyze']);
    await new Promise((r) => setTimeout(r, 3000));
    await kubectl('scale', 'deployment', 'istiod', '-n', 'istio-system', '--replicas=1');
    const r = await waiting;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain('waiting for the mesh to become healthy');
    expect(Date.now() - started).toBeLessThan(180_000);
  });

  it('on a terminal: install shows spinners (plain lines with NO_COLOR), uninstall asks and "n" keeps everything', async () => {
    const tty = (args: string[], input: string, env: NodeJS.ProcessEnv = {}) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        // util-linux `script` gives mesh a pseudo-terminal, as a person at a shell would.
        const command = [process.execPath, meshBin, '--kubeconfig', kubeconfig(), ...args].map((a) => `'${a}'`).join(' ');
        const child = spawn('script', ['-qec', command, '/dev/null'], {
          env: { ...process.env, PATH: `${testbedPaths().MESH_TESTBED_BIN}:${process.env.PATH}`, CI: '', NO_COLOR: '', ...env },
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stdin.end(input);
        child.on('exit', (code) => resolve({ code, out }));
      });
    const fancy = await tty(['install', '--profile', 'default', '--inject-namespace', 'shop', '-y'], '');
    expect(fancy.code, fancy.out).toBe(0);
    expect(fancy.out).toContain('✔');
    const plain = await tty(['install', '--profile', 'default', '--inject-namespace', 'shop', '-y'], '', { NO_COLOR: '1' });
    expect(plain.out).toContain('- preflight');
    expect(plain.out).not.toMatch(/\u001b\[3\dm/);

    const answer = await tty(['uninstall'], 'n\n');
    expect(answer.out).toMatch(/Uninstall Istio \(profile default, istioctl\) from istio-system in context mesh-testbed\? \[y\/N\]/);
    expect(answer.out).toContain('Error: uninstall cancelled');
    expect(answer.code).toBe(2);
    expect(check(await meshOn(['verify', '-o', 'json', '--only', 'install']), 'install-record').status).toBe('ok');
  });
});
