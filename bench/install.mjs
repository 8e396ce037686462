#!/usr/bin/env node
// npm run bench:install — what `mesh install` adds over bare `istioctl install -f` of the same
// render, on the testbed, in alternating pairs (mesh, istioctl, mesh, istioctl, ...), each from an
// empty cluster. mesh's extra work is preflight (tool and cluster checks, permissions, record,
// lock), its own readiness wait after istioctl's, and the install record. Optional background
// load: LOAD_PODS=5000 first creates that many kwok pods in another namespace, to show whether
// anything in install grows with the size of the cluster (mesh reads only the Istio namespace).
// COLD=1 gives every mesh run an empty cache, so istioctl checks the spec each time (a first
// install); by default the spec check is memoised after the first run, as on a re-run in CI.
// Goal (issue 12): median overhead <= 0.3 s. It also prints each mesh run's own time (its wall time
// less its istioctl step, from `-o json`), which istioctl's run-to-run spread (about 1 s here) does
// not blur. It brings the testbed up if it is down, and leaves it with no Istio installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTestbed, kubeconfigPath } from '../testbed/lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PAIRS = Number(process.env.PAIRS ?? 5);
const LOAD_PODS = Number(process.env.LOAD_PODS ?? 0);
const PROFILE = process.env.PROFILE ?? 'minimal';
const COLD = process.env.COLD === '1';
const paths = buildTestbed({ quiet: true });
const bin = (name) => join(paths.MESH_TESTBED_BIN, name);
const env = { ...process.env, PATH: `${paths.MESH_TESTBED_BIN}:${process.env.PATH}`, NO_COLOR: '1', CI: 'true' };
const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);
const run = (file, args, input) => {
  const r = spawnSync(file, args, { env, encoding: 'utf8', input, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).slice(-600)}`);
  return r.stdout;
};
const kubectl = (...args) => run(bin('kubectl'), ['--kubeconfig', kubeconfigPath, ...args]);
const mesh = (...args) => run(process.execPath, [join(root, 'bin', 'mesh.js'), '--kubeconfig', kubeconfigPath, ...args]);
const timed = (fn) => {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

execFileSync(process.execPath, [join(root, 'testbed', 'up.mjs')], { stdio: 'ignore' });
const dir = mkdtempSync(join(tmpdir(), 'mesh-bench-install-'));
const spec = join(dir, 'istio-operator.yaml');
writeFileSync(spec, mesh('render', '--profile', PROFILE), { mode: 0o600 });

/** Back to an empty cluster after either install, not timed. */
function clean() {
  spawnSync(bin('istioctl'), ['uninstall', '--purge', '-y', '--kubeconfig', kubeconfigPath], { env, stdio: 'ignore' });
  spawnSync(bin('kubectl'), ['--kubeconfig', kubeconfigPath, 'delete', 'namespace', 'istio-system', '--ignore-not-found', '--wait=true'], {
    env,
    stdio: 'ignore',
  });
}

if (LOAD_PODS) {
  log(`creating ${LOAD_PODS} pods in namespace load`);
  kubectl('create', 'namespace', 'load');
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'load', namespace: 'load' },
    spec: {
      replicas: LOAD_PODS,
      selector: { matchLabels: { app: 'load' } },
      template: { metadata: { labels: { app: 'load' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } },
    },
  };
  run(bin('kubectl'), ['--kubeconfig', kubeconfigPath, 'apply', '-f', '-'], JSON.stringify(deployment));
  kubectl('rollout', 'status', 'deployment/load', '-n', 'load', '--timeout=900s');
}

clean();
const meshMs = [];
const istioctlMs = [];
const ownMs = [];
for (let i = 0; i < PAIRS; i++) {
  log(`pair ${i + 1}/${PAIRS}`);
  if (COLD) env.MESH_CACHE = mkdtempSync(join(dir, 'cache-'));
  let result;
  meshMs.push(timed(() => (result = JSON.parse(mesh('install', '--profile', PROFILE, '-y', '-o', 'json')))));
  // The same run without its istioctl step: mesh's own share, free of istioctl's run-to-run spread.
  const istioctlStep = result.steps.find((s) => s.id === 'apply')?.durationMs ?? 0;
  ownMs.push(meshMs.at(-1) - istioctlStep);
  mesh('uninstall', '--purge', '-y');
  clean();
  istioctlMs.push(timed(() => run(bin('istioctl'), ['install', '-f', spec, '-y', '--kubeconfig', kubeconfigPath])));
  clean();
}
if (LOAD_PODS) kubectl('delete', 'namespace', 'load', '--wait=false');
rmSync(dir, { recursive: true, force: true });

const overhead = median(meshMs.map((m, i) => m - istioctlMs[i]));
console.log(
  `install --profile ${PROFILE} on the testbed (Kubernetes ${paths.MESH_KUBERNETES_VERSION}, istioctl ${paths.MESH_ISTIO_VERSION}), ` +
    `${LOAD_PODS} other pods, ${COLD ? 'cold cache' : 'spec check memoised'}, ${PAIRS} alternating pairs, wall ms:`,
);
console.log(`  mesh install -y               median ${median(meshMs).toFixed(0)}  (${meshMs.map((x) => x.toFixed(0)).join(', ')})`);
console.log(`  istioctl install -f <render>  median ${median(istioctlMs).toFixed(0)}  (${istioctlMs.map((x) => x.toFixed(0)).join(', ')})`);
console.log(
  `mesh's overhead, median of pairwise differences: ${overhead.toFixed(0)} ms (goal <= 300): ${overhead <= 300 ? 'met' : 'NOT met'}`,
);
console.log(
  `mesh's own time (each run's wall time less its istioctl step): median ${median(ownMs).toFixed(0)} ms  (${ownMs.map((x) => x.toFixed(0)).join(', ')})`,
);
