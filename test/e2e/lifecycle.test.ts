import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  charts,
  check,
  difference,
  kubeconfig,
  kubectl,
  meshOn,
  namespaceLabels,
  report,
  resetTestbed,
  serviceAccountKubeconfig,
  snapshot,
} from './helpers.js';
import { spawn } from 'node:child_process';
import { mesh, meshBin } from '../helpers/mesh.js';
import { testbedPaths } from '../helpers/testbed.js';

/**
 * Issue 4's proof: for each backend and profile, install / verify / converge / uninstall --purge
 * leaves the cluster exactly as it was, and the user's namespace and labels survive.
 */
beforeAll(resetTestbed, 120_000);

/** A kubeconfig (in `dir`) whose cluster refuses connections, with a token that must never be printed. */
function deadKubeconfig(dir: string): string {
  const path = join(dir, 'dead.kubeconfig');
  writeFileSync(
    path,
    'apiVersion: v1\nkind: Config\nclusters:\n- name: dead\n  cluster:\n    server: https://127.0.0.1:9\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: not-a-real-token\ncontexts:\n- name: dead-ctx\n  context: {cluster: dead, user: u}\ncurrent-context: dead-ctx\n',
    { mode: 0o600 },
  );
  return path;
}

const backendArgs = (backend: string) => (backend === 'helm' ? ['--backend', 'helm', '--charts', charts()] : ['--backend', 'istioctl']);

describe.each(['istioctl', 'helm'])('backend %s', (backend) => {
  beforeAll(async () => {
    await kubectl('create', 'namespace', 'user-apps');
    await kubectl('label', 'namespace', 'user-apps', 'team=payments');
  });
  afterAll(async () => {
    await kubectl('delete', 'namespace', 'user-apps', '--wait=true', '--timeout=90s');
  });

  it.each(['demo', 'default', 'minimal'])(
    'profile %s: install, verify, converge, uninstall --purge, nothing left behind',
    async (profile) => {
      const before = await snapshot();
      const labelsBefore = await namespaceLabels('user-apps');

      const install = await meshOn([
        'install',
        '--profile',
        profile,
        ...backendArgs(backend),
        '--inject-namespace',
        'user-apps',
        '-y',
        '--timeout',
        '2m',
      ]);
      expect(install.stderr).toContain(`installed profile ${profile} with ${backend}`);
      expect(install.code).toBe(0);
      expect(await namespaceLabels('user-apps')).toEqual({ ...labelsBefore, 'istio-injection': 'enabled' });

      const verify = await meshOn(['verify', '-o', 'json']);
      expect(verify.code, verify.stdout).toBe(0);
      expect(report(verify).success).toBe(true);
      expect(check(verify, 'install-record').message).toContain(`profile ${profile}, ${backend} backend`);
      // The source tree's charts run image tag latest, istioctl's own build a release tag: only a pair of releases is compared.
      expect(check(verify, 'config-istioctl-version')).toMatchObject(
        backend === 'helm'
          ? { status: 'skip', message: expect.stringMatching(/control plane latest: not two release versions/) }
          : { status: 'ok', message: expect.stringMatching(/^istioctl 1\.31\.\d+, control plane 1\.31\.\d+$/) },
      );

      const again = await meshOn([
        'install',
        '--profile',
        profile,
        ...backendArgs(backend),
        '--inject-namespace',
        'user-apps',
        '-y',
        '-o',
        'json',
      ]);
      expect(again.code, again.stderr).toBe(0);
      const result = JSON.parse(again.stdout);
      expect(result).toMatchObject({ schemaVersion: 1, kind: 'InstallResult', success: true });
      expect(result.steps.find((s: { id: string }) => s.id === 'label').detail).toBe('already labelled');

      const status = await meshOn(['status', '-o', 'json']);
      // and nothing drifted: the recorded install rendered again equals what the cluster holds
      expect(JSON.parse(status.stdout)).toMatchObject({
        installed: true,
        record: { profile, backend },
        drift: { checked: true, objects: [] },
      });

      const uninstall = await meshOn(['uninstall', '--purge', '-y']);
      expect(uninstall.code, uninstall.stderr).toBe(0);
      const after = await meshOn(['verify', '-o', 'json']);
      expect(after.code).toBe(5);
      expect(check(after, 'install-record').status).toBe('fail');

      const now = await snapshot();
      expect(difference(now, before), 'left behind').toEqual([]);
      expect(difference(before, now), 'removed').toEqual([]);
      expect(await namespaceLabels('user-apps')).toEqual(labelsBefore);

      const twice = await meshOn(['uninstall', '--purge', '-y']);
      expect(twice.code).toBe(0);
      expect(twice.stderr).toContain('nothing to uninstall');
    },
  );
});

/** Issue 10's exposure modes and CNI plugin, installed for real and read back by verify. */
describe.each(['istioctl', 'helm'])('exposure and CNI, backend %s', (backend) => {
  const reach = async () => check(await meshOn(['verify', '-o', 'json', '--skip-analyze']), 'gateway-services');
  const nodeIp = /http:\/\/(\d+\.\d+\.\d+\.\d+)/;
  // Each case starts from a cluster without Istio, whatever the one before it left.
  afterEach(async () => void (await meshOn(['uninstall', '--purge', '-y'])));

  it('NodePort on fixed node ports with the CNI plugin in kube-system; verify gives the URL; uninstall leaves nothing', async () => {
    const before = await snapshot();
    const install = await meshOn([
      'install',
      '--profile',
      'demo',
      ...backendArgs(backend),
      '--ingress-node-port',
      'http=32000,https=32443',
      '--cni',
      '-y',
      '--timeout',
      '2m',
    ]);
    expect(install.code, install.stderr).toBe(0);
    const ports = await kubectl(
      'get',
      'service',
      'istio-ingressgateway',
      '-n',
      'istio-system',
      '-o',
      'jsonpath={.spec.type} {.spec.ports[*].nodePort}',
    );
    // demo's five ports: the two named get the node ports asked for, the rest are assigned.
    expect(ports).toMatch(/^NodePort \d+ 32000 32443 \d+ \d+$/);
    const cni = await kubectl(
      'get',
      'daemonset',
      'istio-cni-node',
      '-n',
      'kube-system',
      '-o',
      'jsonpath={.spec.template.spec.priorityClassName}',
    );
    expect(cni).toBe('system-node-critical');
    const excluded = await kubectl(
      'get',
      'configmap',
      'istio-cni-config',
      '-n',
      'kube-system',
      '-o',
      'jsonpath={.data.EXCLUDE_NAMESPACES}',
    );
    expect(excluded).toBe('istio-system,kube-system');

    const verify = await meshOn(['verify', '-o', 'json', '--skip-analyze']);
    expect(verify.code, verify.stdout).toBe(0);
    // The CNI DaemonSet lives outside the Istio namespace: verify reads it there, and judges it.
    expect(check(verify, 'control-plane-available').message).toMatch(/istio-cni-node \d+\/\d+ available on nodes/);
    const gateway = check(verify, 'gateway-services');
    expect(gateway.status).toBe('ok');
    expect(gateway.message).toMatch(/(^|; )istio-ingressgateway NodePort: http:\/\/\d+\.\d+\.\d+\.\d+:32000(;|$)/);
    expect(gateway.message).toMatch(/(^|; )istio-egressgateway ClusterIP: in-cluster only/);
    // The address is the node the gateway pod runs on, as the seeds compute it.
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
    expect(nodeIp.exec(gateway.message.slice(gateway.message.indexOf('istio-ingressgateway NodePort')))?.[1]).toBe(hostIp);

    const uninstall = await meshOn(['uninstall', '--purge', '-y']);
    expect(uninstall.code, uninstall.stderr).toBe(0);
    expect(difference(await snapshot(), before), 'left behind').toEqual([]);
  });

  it.runIf(backend === 'istioctl')("hostNetwork: the gateway on the nodes' network; verify gives the node address and port", async () => {
    const install = await meshOn([
      'install',
      '--profile',
      'default',
      ...backendArgs(backend),
      '--ingress-host-network',
      '--ingress-type',
      'ClusterIP',
      '-y',
    ]);
    expect(install.code, install.stderr).toBe(0);
    const pod = await kubectl(
      'get',
      'deployment',
      'istio-ingressgateway',
      '-n',
      'istio-system',
      '-o',
      'jsonpath={.spec.template.spec.hostNetwork} {.spec.template.spec.dnsPolicy}',
    );
    expect(pod).toBe('true ClusterFirstWithHostNet');
    expect((await reach()).message).toMatch(/(^|; )istio-ingressgateway hostNetwork: http:\/\/\d+\.\d+\.\d+\.\d+:8080(;|$)/);
    expect((await meshOn(['uninstall', '--purge', '-y'])).code).toBe(0);
  });

  it.runIf(backend === 'helm')('hostNetwork is refused before any change: the gateway chart cannot express it', async () => {
    const before = await snapshot();
    const r = await meshOn(['install', '--profile', 'default', ...backendArgs(backend), '--ingress-host-network', '-y']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toContain(
      'the helm backend cannot express components.ingressGateways[name:istio-ingressgateway].k8s.overlays',
    );
    expect(difference(await snapshot(), before)).toEqual([]);
  });
});

describe('install failures', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mesh-e2e-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('a node selector no node matches times out naming the pod and the scheduler reason (exit 5)', async () => {
    const overlay = join(dir, 'pin.yaml');
    writeFileSync(overlay, 'spec:\n  components:\n    pilot:\n      k8s:\n        nodeSelector:\n          disktype: unobtainium\n');
    for (const backend of ['istioctl', 'helm']) {
      const r = await meshOn(['install', '--profile', 'minimal', ...backendArgs(backend), '-f', overlay, '-y', '--timeout', '15s']);
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toMatch(/Error: not ready after 15s: Deployment\/istio-system\/istiod/);
      expect(r.stderr).toMatch(
        /pod istiod-[a-z0-9-]+ Pending\/Unschedulable: 0\/3 nodes are available: 3 node\(s\) didn't match Pod's node affinity\/selector/,
      );
      const cleanup = await meshOn(['uninstall', '--purge', '-y']);
      expect(cleanup.code, cleanup.stderr).toBe(0);
      expect(cleanup.stderr).toContain(`uninstalled profile minimal (${backend})`);
    }
  });

  it('an unreachable cluster is exit 4 before any change, naming context and server', async () => {
    const kubeconfig = deadKubeconfig(dir);
    const before = await snapshot();
    for (const args of [['install', '--profile', 'demo', '-y'], ['verify'], ['uninstall', '-y'], ['status']]) {
      const r = await mesh(['--kubeconfig', kubeconfig, ...args], {
        env: { PATH: `${testbedPaths().MESH_TESTBED_BIN}:${process.env.PATH}` },
      });
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(4);
      expect(r.stderr).toMatch(/^Error: cluster unreachable: context dead-ctx \(server https:\/\/127\.0\.0\.1:9\): ECONNREFUSED\nhint: /m);
      expect(r.stderr).not.toContain('not-a-real-token');
    }
    const json = await mesh(['--kubeconfig', kubeconfig, 'verify', '-o', 'json', '--only', 'kubernetes', '--only', 'control-plane']);
    expect(json.code, json.stderr).toBe(4);
    const doc = report(json);
    expect(doc).toMatchObject({ schemaVersion: 1, success: false, context: 'dead-ctx', summary: { fail: 1, unknown: 4, ok: 0 } });
    expect(doc.categories.map((c) => c.id)).toEqual(['kubernetes', 'control-plane']);
    expect(doc.categories[0].checks[0]).toMatchObject({
      id: 'kubernetes-api',
      status: 'fail',
      message: expect.stringMatching(/ECONNREFUSED$/),
    });
    expect(difference(await snapshot(), before)).toEqual([]);
  });

  it('a read-only user: install names every permission it lacks, a refused read is one line; exit 3, nothing changed', async () => {
    const viewer = await serviceAccountKubeconfig('lifecycle-viewer', 'view');
    const token = readFileSync(viewer, 'utf8').match(/token: (\S+)/)![1];
    const before = await snapshot();
    const run = (args: string[]) =>
      mesh(['--kubeconfig', viewer, ...args], { env: { PATH: `${testbedPaths().MESH_TESTBED_BIN}:${process.env.PATH}` } });
    const install = await run(['install', '--profile', 'minimal', '-y']);
    expect(install.code, install.stderr).toBe(3);
    expect(install.stderr).toMatch(
      /^Error: not permitted to create namespaces, create customresourcedefinitions\.apiextensions\.k8s\.io, .*create leases\.coordination\.k8s\.io in istio-system \(context lifecycle-viewer\)$/m,
    );
    const check = await run(['install', '--profile', 'minimal', '--dry-run=server']);
    expect(check.code, check.stderr).toBe(3);
    expect(check.stderr).toMatch(/^Error: not permitted to create namespaces, /m);
    const tags = await run(['tag', 'list']);
    expect(tags.code, tags.stderr).toBe(3);
    expect(tags.stderr).toBe(
      'Error: forbidden: cannot list mutatingwebhookconfigurations.admissionregistration.k8s.io ' +
        '(GET /apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations?labelSelector=istio.io%2Ftag)\n' +
        'hint: use a context allowed to list mutatingwebhookconfigurations.admissionregistration.k8s.io, or ask for that permission (kubectl auth can-i)\n',
    );
    for (const r of [install, tags]) expect(r.stderr + r.stdout).not.toContain(token);
    expect(difference(await snapshot(), before)).toEqual([]);
  });

  it('install --dry-run=server runs the checks before a change (istioctl judging the spec, helm the values) and changes nothing', async () => {
    const before = await snapshot();
    const rejected = await meshOn(['install', '--profile', 'minimal', '--set', 'values.profile=nope', '--dry-run=server']);
    expect(rejected.code, rejected.stderr).toBe(2);
    expect(rejected.stderr).toMatch(/^Error: istioctl rejects the IstioOperator mesh rendered: .*unknown profile nope$/m);
    expect(rejected.stdout).toBe('');
    const refused = await meshOn([
      'install',
      '--profile',
      'minimal',
      ...backendArgs('helm'),
      '--set',
      'values.profile=nope',
      '--dry-run=server',
    ]);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/^Error: helm rejects the values mesh rendered for release istio-base: .*unknown profile nope$/m);
    expect(refused.stdout).toBe('');
    // --dry-run alone is the plan only: it does not ask istioctl, so it cannot know.
    expect((await meshOn(['install', '--profile', 'minimal', '--set', 'values.profile=nope', '--dry-run'])).code).toBe(0);
    for (const backend of ['istioctl', 'helm']) {
      const passed = await meshOn(['install', '--profile', 'minimal', ...backendArgs(backend), '--dry-run=server', '-o', 'json']);
      expect(passed.code, passed.stderr).toBe(0);
      expect(JSON.parse(passed.stdout)).toMatchObject({
        kind: 'InstallPlan',
        backend,
        preflight: { passed: true, context: 'mesh-testbed', existingInstall: false, missingNamespaces: ['istio-system'] },
      });
      const text = await meshOn(['install', '--profile', 'minimal', ...backendArgs(backend), '--dry-run=server']);
      expect(text.stdout).toMatch(
        /\ndry run \(server\): the checks before a change passed in context mesh-testbed; nothing was changed\n$/,
      );
    }
    expect(difference(await snapshot(), before)).toEqual([]);
    expect(difference(before, await snapshot())).toEqual([]);
  });

  it('a different backend over an existing install is refused in preflight (exit 3)', async () => {
    expect((await meshOn(['install', '--profile', 'minimal', '--backend', 'istioctl', '-y'])).code).toBe(0);
    const r = await meshOn(['install', '--profile', 'minimal', ...backendArgs('helm'), '-y']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/installed by mesh with the istioctl backend, not helm\nhint: re-run with --backend istioctl/);
    expect((await meshOn(['uninstall', '--purge', '-y'])).code).toBe(0);
  });

  it('moving from istioctl to helm: the CRDs istioctl left are adopted by istio-base, not refused by helm (istio/istio#43204)', async () => {
    expect((await meshOn(['install', '--profile', 'minimal', '--backend', 'istioctl', '-y'])).code).toBe(0);
    const removed = await meshOn(['uninstall', '-y']);
    expect(removed.stderr).toContain('Istio CRDs kept');
    const r = await meshOn(['install', '--profile', 'minimal', ...backendArgs('helm'), '-y']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/adopted \d+ CRDs \(/);
    const owner = await kubectl(
      'get',
      'crd',
      'virtualservices.networking.istio.io',
      '-o',
      'jsonpath={.metadata.annotations.meta\\.helm\\.sh/release-name}',
    );
    expect(owner).toBe('istio-base');
    expect((await meshOn(['verify', '--skip-analyze'])).code).toBe(0);
    // a second install finds nothing left to adopt
    expect((await meshOn(['install', '--profile', 'minimal', ...backendArgs('helm'), '-y'])).stderr).toContain('none to adopt');
    expect((await meshOn(['uninstall', '--purge', '-y'])).code).toBe(0);
  });

  it('Ctrl-C while waiting is exit 130 with what it means for the cluster', async () => {
    const child = spawn(process.execPath, [meshBin, '--kubeconfig', kubeconfig(), 'verify', '--wait', '5m', '--skip-analyze'], {
      env: { ...process.env, PATH: `${testbedPaths().MESH_TESTBED_BIN}:${process.env.PATH}` },
    });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // One Ctrl-C: a second one is the user's way to kill mesh outright.
      if (!sent && stderr.includes('waiting for the mesh')) sent = child.kill('SIGINT');
    });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(130);
    expect(stderr).toMatch(/Error: interrupted \(SIGINT\)\nhint: a change in progress may be partly applied: re-run the same command/);
  });

  it("values istioctl rejects are exit 2 before any change, with istioctl's reason", async () => {
    const overlay = join(dir, 'bad-values.yaml');
    writeFileSync(
      overlay,
      'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  values:\n    pilot:\n      autoscaleEnabled: maybe\n',
    );
    const before = await snapshot();
    const r = await meshOn(['install', '-f', overlay, '-y']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /^Error: istioctl rejects the IstioOperator mesh rendered: could not unmarshal: .*cannot unmarshal string into Go value of type bool\nhint: /m,
    );
    expect(difference(await snapshot(), before)).toEqual([]);
  });

  it("values a chart refuses are exit 2 before any change, with helm's reason (helm template of each release)", async () => {
    const before = await snapshot();
    const r = await meshOn(['install', '--profile', 'minimal', ...backendArgs('helm'), '--set', 'values.profile=nope', '-y']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      '\nError: helm rejects the values mesh rendered for release istio-base: ' +
        'execution error at (base/templates/zzz_profile.yaml:31:3): unknown profile nope\n' +
        'hint: fix the overlay or --set it names; `mesh render --backend helm` prints what mesh hands helm\n',
    );
    expect(r.stderr).not.toMatch(/namespace|record|helm upgrade/);
    expect(difference(await snapshot(), before)).toEqual([]);
    expect(difference(before, await snapshot())).toEqual([]);
  });

  it('istioctl missing from PATH is exit 3 with how to get it', async () => {
    const before = await snapshot();
    const r = await meshOn(['install', '--profile', 'minimal', '-y', '--istioctl', 'istioctl-not-installed']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Error: istioctl-not-installed not found on PATH\nhint: install it');
    expect(difference(await snapshot(), before)).toEqual([]);
  });
});

/**
 * A first install with an istioctl whose version mesh does not remember yet: the held istioctl's
 * prompt names the version the checks before the change compare, and istioctl's own word for it is
 * asked beside the apply, for the record. The older Istio is a `-dev` build, which its prompt
 * normalises (1.30-dev says 1.30.0), so the record shows which of the two it kept.
 */
describe('a first install: istioctl asked its version beside the apply', () => {
  const previous = () => join(testbedPaths().MESH_ISTIO_PREVIOUS_BIN, 'istioctl');
  const exact = () => testbedPaths().MESH_ISTIO_PREVIOUS_VERSION;
  let cache: string;
  beforeAll(() => {
    cache = mkdtempSync(join(tmpdir(), 'mesh-e2e-cache-'));
  });
  afterAll(async () => {
    await meshOn(['uninstall', '--purge', '-y', '--istioctl', previous()], { MESH_CACHE: cache });
    rmSync(cache, { recursive: true, force: true });
  });

  it("names the prompt's version before the change and records istioctl's own; a re-run names the remembered one", async () => {
    const minor = /^\d+\.\d+/.exec(exact())![0];
    const first = await meshOn(['install', '--profile', 'minimal', '--istioctl', previous(), '-y'], { MESH_CACHE: cache });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(new RegExp(`; istioctl installing Istio ${minor.replace('.', '\\.')}\\.\\d+\\n`));
    const status = JSON.parse((await meshOn(['status', '-o', 'json', '--istioctl', previous()], { MESH_CACHE: cache })).stdout);
    expect(status.record.toolVersions.istioctl).toBe(exact());

    const again = await meshOn(['install', '--profile', 'minimal', '--istioctl', previous(), '-y'], { MESH_CACHE: cache });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`; istioctl ${exact()}\n`);
    expect(again.stderr).not.toContain('installing Istio');
  });

  it('an unreachable cluster is still exit 4 before any change', async () => {
    const dead = deadKubeconfig(cache);
    const r = await mesh(['--kubeconfig', dead, 'install', '--profile', 'minimal', '-y'], {
      env: { PATH: `${testbedPaths().MESH_TESTBED_BIN}:${process.env.PATH}`, MESH_CACHE: join(cache, 'empty') },
    });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/^Error: cluster unreachable: context dead-ctx/m);
  });
});
