import { beforeAll, describe, expect, it } from 'vitest';
import { charts, kubeconfig, kubectl, kubectlApply, resetTestbed } from './helpers.js';
import { testbedPaths, toolPath } from '../helpers/testbed.js';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Sanity of the testbed itself (issue 3): the mesh tests stand on these. */
describe('testbed', () => {
  beforeAll(resetTestbed, 120_000);

  it('runs each component at the version versions.env names (one module graph, stamped one build at a time)', async () => {
    const pins = Object.fromEntries(
      [...readFileSync(join(import.meta.dirname, '../../testbed/versions.env'), 'utf8').matchAll(/^(\w+)=(.*)$/gm)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    const out = async (tool: string, ...args: string[]) => {
      const r = await run(toolPath(tool), args);
      return `${r.stdout}${r.stderr}`.trim();
    };
    expect(await out('kube-apiserver', '--version')).toBe(`Kubernetes ${pins.KUBERNETES_VERSION}`);
    expect(await out('kubectl', 'version', '--client', '-o', 'json')).toContain(`"gitVersion": "${pins.KUBERNETES_VERSION}"`);
    expect(await out('etcd', '--version')).toContain(`etcd Version: ${pins.ETCD_VERSION.replace(/^v/, '')}`);
    expect(await out('kwok', '--version')).toContain(pins.KWOK_VERSION);
    expect(await out('helm', 'version', '--short')).toBe(pins.HELM_VERSION);
    expect(await out('istioctl', 'version', '--remote=false')).toBe(`client version: ${pins.ISTIO_VERSION}`);
  });

  it('has 3 Ready kwok nodes', async () => {
    const out = await kubectl(
      'get',
      'nodes',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
    );
    expect(out.trim().split('\n').sort()).toEqual(['kwok-node-0=True', 'kwok-node-1=True', 'kwok-node-2=True']);
  });

  it("runs a Deployment's pods to Ready", async () => {
    await kubectl('create', 'namespace', 'tb-sanity');
    await kubectlApply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'tb-sanity' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
      },
    });
    await kubectl('rollout', 'status', 'deployment/web', '-n', 'tb-sanity', '--timeout=60s');
    const ready = await kubectl(
      'get',
      'pods',
      '-n',
      'tb-sanity',
      '-o',
      'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}',
    );
    expect(ready.split(' ')).toEqual(['True', 'True', 'True']);
    await kubectl('delete', 'namespace', 'tb-sanity', '--wait=true', '--timeout=60s');
  });

  it('takes `istioctl install --set profile=minimal -y`, and istiod reports available', async () => {
    await run(toolPath('istioctl'), ['install', '--kubeconfig', kubeconfig(), '--set', 'profile=minimal', '-y'], { timeout: 240_000 });
    const available = await kubectl(
      'get',
      'deployment',
      'istiod',
      '-n',
      'istio-system',
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Available")].status}',
    );
    expect(available).toBe('True');
    await run(toolPath('istioctl'), ['uninstall', '--purge', '-y', '--kubeconfig', kubeconfig()], { timeout: 240_000 });
    await kubectl('delete', 'namespace', 'istio-system', '--wait=true', '--timeout=90s');
    await kubectl('delete', 'configmap', '-A', '-l', 'istio.io/config=true', '--ignore-not-found');
    await kubectl('delete', 'crd', '-l', 'app.kubernetes.io/part-of=istio', '--ignore-not-found');
  });

  it('takes `helm install` of the base chart from the local Istio charts', async () => {
    // The base chart puts a ServiceAccount in the Istio namespace, so it installs there.
    await run(toolPath('helm'), [
      'install',
      'tb-base',
      `${charts()}/base`,
      '--kubeconfig',
      kubeconfig(),
      '-n',
      'istio-system',
      '--create-namespace',
      '--wait',
      '--timeout',
      '2m',
    ]);
    expect(await kubectl('get', 'crd', 'virtualservices.networking.istio.io', '-o', 'name')).toContain('virtualservices');
    await run(toolPath('helm'), ['uninstall', 'tb-base', '--kubeconfig', kubeconfig(), '-n', 'istio-system']);
    await kubectl('delete', 'namespace', 'istio-system', '--wait=true', '--timeout=90s');
    await kubectl('delete', 'crd', '-l', 'app.kubernetes.io/part-of=istio', '--ignore-not-found');
  });

  it('runs two Istio versions side by side: each revision gets its own pilot-discovery, and a canary move injects the new proxy', async () => {
    const { MESH_ISTIO_PREVIOUS_BIN, MESH_ISTIO_PREVIOUS_VERSION, MESH_ISTIO_VERSION } = testbedPaths();
    const istioctl = (bin: string, revision: string) =>
      run(bin, ['install', '--kubeconfig', kubeconfig(), '--set', 'profile=minimal', '--set', `revision=${revision}`, '-y'], {
        timeout: 240_000,
      });
    const version = await run(join(MESH_ISTIO_PREVIOUS_BIN, 'istioctl'), ['version', '--remote=false']);
    expect(version.stdout.trim()).toBe(`client version: ${MESH_ISTIO_PREVIOUS_VERSION}`);
    await istioctl(join(MESH_ISTIO_PREVIOUS_BIN, 'istioctl'), 'old');
    await kubectl('create', 'namespace', 'tb-canary');
    await kubectl('label', 'namespace', 'tb-canary', 'istio.io/rev=old');
    await kubectl('create', 'deployment', 'web', '--image=nginx', '-n', 'tb-canary');
    await kubectl('rollout', 'status', 'deployment/web', '-n', 'tb-canary', '--timeout=60s');
    const proxies = async () =>
      (await kubectl('get', 'pods', '-n', 'tb-canary', '-o', 'jsonpath={.items[*].spec.containers[?(@.name=="istio-proxy")].image}')).split(
        ' ',
      );
    // injected by the older istiod: the runner started the older pilot-discovery for revision "old"
    expect(await proxies()).toEqual([`docker.io/istio/proxyv2:${MESH_ISTIO_PREVIOUS_VERSION}`]);
    await istioctl(toolPath('istioctl'), 'new');
    await kubectl('label', 'namespace', 'tb-canary', 'istio.io/rev=new', '--overwrite');
    await kubectl('rollout', 'restart', 'deployment/web', '-n', 'tb-canary');
    await kubectl('rollout', 'status', 'deployment/web', '-n', 'tb-canary', '--timeout=60s');
    await expect.poll(proxies, { timeout: 30_000 }).toEqual([`docker.io/istio/proxyv2:${MESH_ISTIO_VERSION}`]);
    await kubectl('delete', 'namespace', 'tb-canary', '--wait=true', '--timeout=60s');
    for (const revision of ['new', 'old'])
      await run(toolPath('istioctl'), ['uninstall', '--revision', revision, '-y', '--kubeconfig', kubeconfig()], { timeout: 240_000 });
  });
});
