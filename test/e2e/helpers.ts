import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { mesh, repoRoot, type MeshResult } from '../helpers/mesh.js';
import { testbedPaths, toolPath } from '../helpers/testbed.js';

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
export async function helm(...args: string[]): Promise<string> {
  const { stdout } = await run(toolPath('helm'), ['--kubeconfig', kubeconfig(), ...args], { maxBuffer: 64 << 20 });
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
  const resources = (await kubectl('api-resources', '--verbs=list', '-o', 'name')).split('\n').filter((r) => r && !VOLATILE.has(r));
  const out = await kubectl(
    'get',
    resources.join(','),
    '-A',
    '--ignore-not-found',
    '-o',
    'jsonpath={range .items[*]}{.kind} {.metadata.namespace}/{.metadata.name}{"\\n"}{end}',
  );
  return new Set(out.split('\n').filter(Boolean));
}

export const difference = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x)).sort();

export async function namespaceLabels(name: string): Promise<Record<string, string>> {
  return JSON.parse(await kubectl('get', 'namespace', name, '-o', 'jsonpath={.metadata.labels}'));
}

export function report(r: MeshResult) {
  return JSON.parse(r.stdout) as {
    success: boolean;
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
