import { execFile, execFileSync } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { mesh, repoRoot, type MeshResult } from '../helpers/mesh.js';
import { testbedPaths, toolPath } from '../helpers/testbed.js';
import { adminTls } from '../../testbed/lib.mjs';

const run = promisify(execFile);

export const kubeconfig = () => inject('kubeconfig');

/** A fresh cluster for a test file (the testbed starts in ~5 s): no test sees another's leftovers. */
export function resetTestbed(): void {
  restartTestbed(false);
}

/** The same, with kwok serving the kubelet API (port-forward): the dashboard test's variant. */
export function resetTestbedWithKubeletApi(): void {
  restartTestbed(true);
}

// Hooks pass their context as the first argument, so the variant is not a parameter of resetTestbed.
function restartTestbed(kubeletApi: boolean): void {
  execFileSync(process.execPath, [join(repoRoot, 'testbed', 'down.mjs')], { stdio: 'ignore' });
  execFileSync(process.execPath, [join(repoRoot, 'testbed', 'up.mjs')], {
    stdio: 'ignore',
    env: { ...process.env, MESH_TESTBED_KUBELET_API: kubeletApi ? '1' : '0' },
  });
}

/** kubectl against the testbed; throws on a non-zero exit. */
export async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(toolPath('kubectl'), ['--kubeconfig', kubeconfig(), ...args], { maxBuffer: 256 << 20 });
  return stdout;
}

/** helm against the testbed; throws on a non-zero exit. */
export const helm = (...args: string[]): Promise<string> => helmBinary(toolPath('helm'), ...args);

/** Another helm binary (the testbed's Helm 4) against the testbed; throws on a non-zero exit. */
export async function helmBinary(binary: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(binary, ['--kubeconfig', kubeconfig(), ...args], { maxBuffer: 64 << 20 });
  return stdout;
}

export async function kubectlApply(doc: object): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = execFile(toolPath('kubectl'), ['--kubeconfig', kubeconfig(), 'apply', '-f', '-'], (error) =>
      error ? reject(new Error(`kubectl apply: ${error.message}`)) : resolve(),
    );
    child.stdin!.end(JSON.stringify(doc));
  });
}

/** A `web` Deployment (nginx) of `replicas` pods in `namespace`, rolled out. */
export async function deployWeb(namespace: string, replicas = 2): Promise<void> {
  await kubectlApply({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
    },
  });
  await kubectl('rollout', 'status', 'deployment/web', '-n', namespace, '--timeout=60s');
}

/** The real mesh binary against the testbed, with the testbed's istioctl/helm first on PATH. */
export function meshOn(args: string[], env: NodeJS.ProcessEnv = {}): Promise<MeshResult> {
  return mesh(['--kubeconfig', kubeconfig(), ...args], { env: { PATH: `${testbedPaths().MESH_TESTBED_BIN}:${process.env.PATH}`, ...env } });
}

export const charts = () => testbedPaths().MESH_ISTIO_CHARTS;

/** Kinds that churn on their own (events, leader leases) are left out of cluster snapshots. */
const VOLATILE = new Set(['events', 'events.events.k8s.io', 'leases.coordination.k8s.io']);

/**
 * Every object in the cluster as "resource namespace/name": what a clean uninstall must leave
 * exactly as it found it.
 */
export async function snapshot(): Promise<Set<string>> {
  // A CRD deleted just before (a purge) can still be listed by discovery and then refused by
  // `get` ("the server doesn't have a resource type"): list the types again and retry.
  for (let attempt = 1; ; attempt++) {
    const resources = (await kubectl('api-resources', '--verbs=list', '-o', 'name')).split('\n').filter((r) => r && !VOLATILE.has(r));
    try {
      const out = await kubectl(
        'get',
        resources.join(','),
        '-A',
        '--ignore-not-found',
        '-o',
        'jsonpath={range .items[*]}{.kind} {.metadata.namespace}/{.metadata.name}{"\\n"}{end}',
      );
      return new Set(out.split('\n').filter(Boolean));
    } catch (error) {
      if (attempt >= 5 || !/doesn't have a resource type/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

export const difference = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x)).sort();

export async function namespaceLabels(name: string): Promise<Record<string, string>> {
  return JSON.parse(await kubectl('get', 'namespace', name, '-o', 'jsonpath={.metadata.labels}'));
}

export function report(r: MeshResult) {
  return JSON.parse(r.stdout) as {
    success: boolean;
    apiRequests: number;
    categories: Array<{ id: string; checks: Array<{ id: string; status: string; message: string; hint?: string }> }>;
  };
}

export function check(r: MeshResult, id: string) {
  const c = report(r)
    .categories.flatMap((cat) => cat.checks)
    .find((x) => x.id === id);
  if (!c) throw new Error(`check ${id} not in report: ${r.stdout.slice(0, 500)} ${r.stderr}`);
  return c;
}

/** A kubeconfig for a service account's token, bound to `clusterRoles`: the CI user a command is run as. */
export async function serviceAccountKubeconfig(name: string, ...clusterRoles: string[]): Promise<string> {
  await kubectl('create', 'serviceaccount', name, '-n', 'default');
  for (const role of clusterRoles)
    await kubectl('create', 'clusterrolebinding', `${name}-${role}`, `--clusterrole=${role}`, `--serviceaccount=default:${name}`);
  const token = (await kubectl('create', 'token', name, '-n', 'default', '--duration=1h')).trim();
  const admin = parse(readFileSync(kubeconfig(), 'utf8')) as {
    clusters: Array<{ cluster: { server: string; 'certificate-authority': string } }>;
  };
  const cluster = admin.clusters[0].cluster;
  const path = join(mkdtempSync(join(tmpdir(), 'mesh-sa-')), 'kubeconfig');
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'testbed', cluster }],
      users: [{ name, user: { token } }],
      contexts: [{ name, context: { cluster: 'testbed', user: name } }],
      'current-context': name,
    }),
    { mode: 0o600 },
  );
  return path;
}

/** The testbed API server's address, and an agent with its admin's certificate. */
function testbedConnection() {
  const doc = parse(readFileSync(kubeconfig(), 'utf8')) as { clusters: Array<{ cluster: { server: string } }> };
  return { upstream: new URL(doc.clusters[0].cluster.server), agent: new https.Agent(adminTls()) };
}

/** One GET of the testbed API server, its body as the bytes that came. */
export function rawGet(path: string, accept: string): Promise<{ status?: number; type?: string; body: Buffer }> {
  const { upstream, agent } = testbedConnection();
  return new Promise((resolve, reject) =>
    https
      .get(new URL(path, upstream), { agent, headers: { accept } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject),
  );
}

/**
 * A plain-HTTP proxy in front of the testbed's API server (with its admin certificate), and a
 * kubeconfig for it in `dir`. It answers `fault(n, path)` instead of forwarding the n-th GET when
 * that returns a status, and forwards each request with the headers `headers` gives.
 */
export async function proxyToTestbed(
  dir: string,
  /**
   * A GET's answer in place of the server's: a status (with a Status body), or a whole answer;
   * with `cut`, the connection closes after the body's first half. Or the server's answer held
   * back for `hold` ms after its first bytes.
   */
  fault: (
    n: number,
    path: string,
  ) => number | { status: number; type: string; body: string | Buffer; cut?: boolean } | { hold: number } | undefined = () => undefined,
  headers: (given: http.IncomingHttpHeaders) => http.IncomingHttpHeaders = (given) => given,
) {
  const { upstream, agent } = testbedConnection();
  const seen = { gets: 0, faulted: 0 };
  const server = http.createServer((req, res) => {
    const status = req.method === 'GET' ? fault(++seen.gets, req.url ?? '') : undefined;
    const hold = typeof status === 'object' && 'hold' in status ? status.hold : 0;
    if (typeof status === 'object' && 'status' in status) {
      seen.faulted++;
      res.writeHead(status.status, { 'content-type': status.type });
      if (status.cut) {
        res.write(status.body.slice(0, Math.floor(status.body.length / 2)), () => res.socket?.destroy());
        return;
      }
      res.end(status.body);
      return;
    }
    if (typeof status === 'number') {
      seen.faulted++;
      res.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '1' } : {}) });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'injected by the test', code: status }));
      return;
    }
    const out = https.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: { ...headers(req.headers), host: upstream.host },
        agent,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (!hold) return up.pipe(res);
        seen.faulted++;
        up.once('data', (first: Buffer) => {
          res.write(first);
          up.pause();
          setTimeout(() => up.pipe(res), hold);
        });
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const kc = join(dir, `proxy-${port}.kubeconfig`);
  writeFileSync(
    kc,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'proxied', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'proxied', user: {} }],
      contexts: [{ name: 'proxied', context: { cluster: 'proxied', user: 'proxied' } }],
      'current-context': 'proxied',
    }),
    { mode: 0o600 },
  );
  return { kubeconfig: kc, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * The testbed's real istioctl behind a wrapper that notes each start (`<GOMAXPROCS>/<GOGC>` it
 * got, each `unset` if so, then its arguments), in a private directory the test may keep other files in.
 */
export function recordingIstioctl(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const log = join(dir, 'started');
  const path = join(dir, 'istioctl');
  writeFileSync(path, `#!/bin/sh\necho "\${GOMAXPROCS:-unset}/\${GOGC:-unset} $*" >> '${log}'\nexec '${toolPath('istioctl')}' "$@"\n`, {
    mode: 0o700,
  });
  return {
    dir,
    path,
    /** Each start as `<GOMAXPROCS>/<GOGC> <arguments>`, oldest first. */
    starts: (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
