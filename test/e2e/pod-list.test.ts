import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import protobuf from 'protobufjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createKubeGateway, KubeApiError } from '../../src/adapters/kube.js';
import { SCHEMA, slimPod } from '../../src/adapters/pod-list.js';
import { readPodPage } from '../helpers/pod-page.js';
import { testbedPaths } from '../helpers/testbed.js';
import { deployWeb, kubeconfig, kubectl, kubectlApply, proxyToTestbed, rawGet, resetTestbed, serviceAccountKubeconfig } from './helpers.js';

/**
 * verify reads data-plane pods as protobuf, decoded with a cut-down schema (src/adapters/pod-list.ts).
 * Proven here against Kubernetes itself: the schema's field numbers against the testbed
 * Kubernetes' own generated.proto files, and what it decodes against the JSON list of the same
 * pods from the real API server.
 */
const NS = 'podlist';
const path = `/api/v1/namespaces/${NS}/pods`;
const dir = mkdtempSync(join(tmpdir(), 'mesh-podlist-'));

describe('pod lists read as protobuf', () => {
  beforeAll(async () => {
    resetTestbed();
    await kubectl('create', 'namespace', NS);
    await deployWeb(NS, 3);
    // a native sidecar (an init container that keeps running), on the host network
    await kubectlApply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'native', namespace: NS, annotations: { 'sidecar.istio.io/status': '{"revision":"default"}' } },
      spec: {
        hostNetwork: true,
        initContainers: [{ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.31.0', restartPolicy: 'Always' }],
        containers: [{ name: 'app', image: 'nginx', env: [{ name: 'A', value: 'b' }] }],
      },
    });
    // a pod being deleted, held by a finalizer: it carries a deletionTimestamp
    await kubectlApply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'leaving', namespace: NS, finalizers: ['example.com/hold'] },
      spec: { containers: [{ name: 'app', image: 'nginx' }] },
    });
    await kubectl('delete', 'pod', 'leaving', '-n', NS, '--wait=false');
  }, 120_000);

  it("mesh's schema has the field numbers and types of the testbed Kubernetes' generated.proto", () => {
    const version = testbedPaths().MESH_KUBERNETES_VERSION.replace(/^v1\./, 'v0.');
    const downloaded = execFileSync('go', ['mod', 'download', '-json', `k8s.io/api@${version}`, `k8s.io/apimachinery@${version}`], {
      encoding: 'utf8',
      cwd: dir,
    });
    const [api, machinery] = [...downloaded.matchAll(/"Dir": "([^"]+)"/g)].map((m) => m[1]);
    const root = new protobuf.Root();
    for (const file of [
      join(api, 'core/v1/generated.proto'),
      join(machinery, 'pkg/apis/meta/v1/generated.proto'),
      join(machinery, 'pkg/runtime/generated.proto'),
    ])
      protobuf.parse(readFileSync(file, 'utf8'), root, { keepCase: true });
    let compared = 0;
    for (const [message, fields] of Object.entries(SCHEMA)) {
      const real = root.lookupType(message.replace(/PodListHead$/, 'PodList'));
      for (const [name, spec] of Object.entries(fields) as Array<[string, { id: number; type: string; rule?: string; keyType?: string }]>) {
        const field = real.fields[name];
        expect(field, `${message}.${name}`).toBeDefined();
        expect(
          { id: field.id, type: field.type.split('.').at(-1), repeated: field.repeated, map: field.map },
          `${message}.${name}`,
        ).toEqual({
          id: spec.id,
          type: spec.type,
          repeated: spec.rule === 'repeated',
          map: spec.keyType !== undefined,
        });
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(20);
  });

  it('gives, page by page, exactly what slimPod keeps of the JSON list of the same pods', async () => {
    const kube = await createKubeGateway({ kubeconfig: kubeconfig() });
    const json = await kube.list<V1Pod>(path);
    expect(json.items).toHaveLength(5);
    const before = kube.requests;
    const pods = await kube.listPods(path, { limit: '2' });
    expect(kube.requests - before).toBe(3);
    const byName = (a: V1Pod, b: V1Pod) => a.metadata!.name!.localeCompare(b.metadata!.name!);
    expect([...pods].sort(byName)).toEqual(json.items.map(slimPod).sort(byName));
    // the comparison covers every field the schema decodes
    const named = (name: string) => pods.find((p) => p.metadata?.name === name)!;
    expect(named('native').spec).toEqual({
      containers: [{ name: 'app', image: 'nginx' }],
      initContainers: [{ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.31.0' }],
      hostNetwork: true,
    });
    expect(named('native').metadata?.annotations).toMatchObject({ 'sidecar.istio.io/status': '{"revision":"default"}' });
    expect(String(named('leaving').metadata?.deletionTimestamp)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const web = pods.find((p) => p.metadata?.labels?.app === 'web')!;
    expect(web.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'ReplicaSet', controller: true })]);
    expect(web.status?.phase).toBe('Running');
  });

  it('asks for protobuf, and reads the same pods from a server or proxy that answers JSON only', async () => {
    const accepts: string[] = [];
    const asked = await proxyToTestbed(dir, undefined, (headers) => (accepts.push(String(headers.accept)), headers));
    const jsonOnly = await proxyToTestbed(dir, undefined, (headers) => ({ ...headers, accept: 'application/json' }));
    try {
      const viaProtobuf = await (await createKubeGateway({ kubeconfig: asked.kubeconfig })).listPods(path);
      expect(accepts).toEqual(['application/vnd.kubernetes.protobuf,application/json']);
      const viaJson = await (await createKubeGateway({ kubeconfig: jsonOnly.kubeconfig })).listPods(path);
      expect(viaJson).toHaveLength(5);
      expect(viaJson).toEqual(viaProtobuf);
    } finally {
      await Promise.all([asked.close(), jsonOnly.close()]);
    }
  });

  it('a continue token that expired (410 Gone) starts the list over from a fresh snapshot, once', async () => {
    const direct = await (await createKubeGateway({ kubeconfig: kubeconfig() })).listPods(path);
    const gone = (n: number, url: string) => (url.includes('continue=') && n === 2 ? 410 : undefined);
    const once = await proxyToTestbed(dir, gone);
    const always = await proxyToTestbed(dir, (_, url) => (url.includes('continue=') ? 410 : undefined));
    try {
      const kube = await createKubeGateway({ kubeconfig: once.kubeconfig });
      const pods = await kube.listPods(path, { limit: '2' });
      // page 1, its continue refused, then the three pages of a new list
      expect(once.seen).toEqual({ gets: 5, faulted: 1 });
      expect(pods).toEqual(direct);
      // a second expiry is not chased: the read fails with the server's answer
      const failed = await (
        await createKubeGateway({ kubeconfig: always.kubeconfig })
      )
        .listPods(path, { limit: '2' })
        .catch((e: unknown) => e);
      expect(failed).toMatchObject({ status: 410, reason: 'injected by the test' });
      expect(always.seen).toEqual({ gets: 4, faulted: 2 });
    } finally {
      await Promise.all([once.close(), always.close()]);
    }
  });

  it('a page asked for early that fails while the page before it still arrives fails the read, and nothing else', async () => {
    // page 1 is held back after its first bytes (its token among them); page 2 is refused meanwhile
    const proxy = await proxyToTestbed(dir, (n, url) => (n === 1 ? { hold: 300 } : url.includes('continue=') ? 403 : undefined));
    const unhandled: unknown[] = [];
    const note = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', note);
    try {
      const kube = await createKubeGateway({ kubeconfig: proxy.kubeconfig });
      const read = await kube.listPods(path, { limit: '2' }).catch((e: unknown) => e);
      expect(read).toMatchObject({ status: 403, reason: 'injected by the test' });
      // page 2 was refused before page 1 ended: asked for from page 1's first bytes
      expect(proxy.seen).toEqual({ gets: 2, faulted: 2 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', note);
      await proxy.close();
    }
  });

  it("hears a page's continue token from its first bytes, before its pods, and decodes the page alike however it is cut", async () => {
    const asked = [`${path}?limit=2`, `${path}?limit=100`];
    const [first, last] = await Promise.all(asked.map((p) => rawGet(p, 'application/vnd.kubernetes.protobuf')));
    const whole = readPodPage(first.body, first.type).page;
    expect(whole.continue).toBeTruthy();
    for (const [answer, token] of [
      [first, whole.continue],
      [last, undefined],
    ] as const) {
      expect(answer.type).toMatch(/^application\/vnd\.kubernetes\.protobuf/);
      const pods = readPodPage(answer.body, answer.type).page.pods();
      expect(pods.length).toBeGreaterThan(0);
      // fed a byte at a time, the token is heard before the first pod's name has come
      const { page, tokenAfter } = readPodPage(answer.body, answer.type, 1);
      expect(page.continue).toBe(token);
      expect(tokenAfter).toBeGreaterThan(0);
      expect(tokenAfter).toBeLessThan(answer.body.indexOf(Buffer.from(pods[0].metadata!.name!)));
      for (const chunk of [1, 2, 3, 7, 100, 1400, 16384]) expect(readPodPage(answer.body, answer.type, chunk).page.pods()).toEqual(pods);
    }
  });

  it('a page cut short by a closed connection fails the read instead of giving what came', async () => {
    // Its first half is a whole, empty list: read as complete, it would say "no pods".
    const body = `{"kind":"PodList","items":[]}${' '.repeat(64 * 1024)}`;
    const proxy = await proxyToTestbed(dir, () => ({ status: 200, type: 'application/json', body, cut: true }));
    try {
      const read = await (await createKubeGateway({ kubeconfig: proxy.kubeconfig })).listPods(path).catch((e: unknown) => e);
      expect(read).toBeInstanceOf(Error);
      expect(String(read)).toMatch(/aborted|ECONNRESET|premature/i);
    } finally {
      await proxy.close();
    }
  });

  it('an answer that cannot be decoded is a failed read naming the cause, not a crash', async () => {
    const garbage = Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    const cut = await proxyToTestbed(dir, () => ({ status: 200, type: 'application/vnd.kubernetes.protobuf', body: garbage }));
    const html = await proxyToTestbed(dir, () => ({ status: 200, type: 'text/html', body: '<html>proxy login</html>' }));
    try {
      for (const proxy of [cut, html]) {
        const failed = await (await createKubeGateway({ kubeconfig: proxy.kubeconfig })).listPods(path).catch((e: unknown) => e);
        expect(failed).toBeInstanceOf(KubeApiError);
        expect(failed).toMatchObject({ status: 200, reason: expect.stringMatching(/^unreadable answer/) });
      }
    } finally {
      await Promise.all([cut.close(), html.close()]);
    }
  });

  it("a refused list is a 403 with the server's own message, read from its protobuf Status", async () => {
    const kube = await createKubeGateway({ kubeconfig: await serviceAccountKubeconfig('no-pods') });
    const refused = await kube.listPods(path).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(KubeApiError);
    expect(refused).toMatchObject({
      status: 403,
      reason: expect.stringMatching(
        /^pods is forbidden: User "system:serviceaccount:default:no-pods" cannot list resource "pods" .*"podlist"/,
      ),
    });
  });
});
