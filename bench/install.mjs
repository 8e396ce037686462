#!/usr/bin/env node
// npm run bench:install — what `mesh install` adds over bare `istioctl install -f` of the same
// render, on the testbed, in alternating pairs (mesh, istioctl, mesh, istioctl, ...), each from an
// empty cluster. mesh's extra work is preflight (tool and cluster checks, permissions, record,
// lock), its own readiness wait after istioctl's, and the install record. Optional background
// load: LOAD_PODS=5000 first creates that many kwok pods in another namespace, to show whether
// anything in install grows with the size of the cluster (mesh reads only the Istio namespace).
// COLD=1 gives every mesh run an empty cache, so mesh asks istioctl its version each time (a first
// install); by default the version is remembered after the first run, as on a re-run in CI.
// Goal (issue 12): median overhead <= 0.3 s. istioctl polls readiness every 2 s, so its wall time
// jumps by 2 s from run to run; the pairwise median is blurred by that. The bench therefore also
// splits each run at istioctl's own requests, read from the API server's audit log: the head (from
// the process start to istioctl's first write of a CRD, where its apply starts) and the tail (from
// istioctl's last request to the process exit). What lies between is istioctl applying and waiting
// in both runs alike, so mesh's head and tail less bare istioctl's are what mesh adds, without the
// poll's jumps. The head ends at the CRDs rather than at istioctl's first write: bare istioctl
// first creates the Istio namespace, which under mesh exists already, so its first write there is
// a later step and would count istioctl's own work as mesh's. The head to istioctl's first request
// (its version read) is printed too. It (re)starts the testbed with the audit log on if it is off,
// and leaves it with no Istio installed.
// BACKEND=helm measures `mesh install --backend helm --charts <the testbed's charts>` against the
// commands a user would paste for the same render: `helm upgrade --install` of each release with
// mesh's values (from `mesh render --backend helm`), then `kubectl rollout status` of each
// Deployment (helm alone returns before the pods are Ready; mesh does not). The split is then at
// helm's requests: the head to helm's first CRD write is mesh's preflight (its checks and helm's
// render of each release's values) against bare helm's start-up.
// CHART_REPO=1 (with BACKEND=helm) takes the charts from a chart repository instead, as a user
// without --charts does: the testbed's charts packaged (`helm package`, `helm repo index`) and
// served on loopback by bench/chart-repo-server.mjs, mesh given `--chart-repo <url>
// --chart-version <v>` and bare helm `<chart> --repo <url> --version <v>`; DELAY_MS=<ms> makes the
// server answer each request that much later, for a network. It prints how many requests (index
// and chart downloads) each run made.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTestbed, kubeconfigPath, stateDir } from '../testbed/lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PAIRS = Number(process.env.PAIRS ?? 5);
const LOAD_PODS = Number(process.env.LOAD_PODS ?? 0);
const PROFILE = process.env.PROFILE ?? 'minimal';
const COLD = process.env.COLD === '1';
const BACKEND = process.env.BACKEND ?? 'istioctl';
if (!['istioctl', 'helm'].includes(BACKEND)) throw new Error(`BACKEND=${BACKEND}: istioctl or helm`);
const CHART_REPO = process.env.CHART_REPO === '1';
if (CHART_REPO && BACKEND !== 'helm') throw new Error('CHART_REPO=1 needs BACKEND=helm');
/** How the tool that applies names itself to the API server (the audit log's userAgent). */
const AGENT = BACKEND === 'helm' ? /"userAgent":"[Hh]elm\// : /"userAgent":"istioctl\//;
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
// MESH=<another checkout>/bin/mesh.js measures another build against the same testbed.
const meshBin = process.env.MESH ?? join(root, 'bin', 'mesh.js');
const mesh = (...args) => run(process.execPath, [meshBin, '--kubeconfig', kubeconfigPath, ...args]);
/** Runs fn; its wall time in ms, and its start and end on the wall clock the audit log uses. */
const timed = (fn) => {
  const start = performance.timeOrigin + performance.now();
  fn();
  const end = performance.timeOrigin + performance.now();
  return { ms: end - start, start, end };
};
const auditLog = join(stateDir, 'audit.log');
/** When the API server received an audited request. */
const arrival = (e) => Date.parse(e.requestReceivedTimestamp);
/**
 * The applying tool's requests (istioctl's or helm's) since `offset` in the audit log: the arrival
 * of its first request and of its first write of a CRD, and the last request's completion. The
 * API server writes events asynchronously: wait for them to land.
 */
function toolRequests(offset, end) {
  for (let i = 0; ; i++) {
    const events = readFileSync(auditLog)
      .subarray(offset)
      .toString('utf8')
      .split('\n')
      .filter((l) => AGENT.test(l))
      .map((l) => JSON.parse(l));
    const crdWrites = events.filter(
      (e) => ['create', 'patch', 'update'].includes(e.verb) && e.objectRef?.resource === 'customresourcedefinitions',
    );
    const last = Math.max(...events.map((e) => Date.parse(e.stageTimestamp)));
    if ((crdWrites.length && end - last < 1000) || i === 30) {
      if (!crdWrites.length) throw new Error(`no CRD written by ${BACKEND} in the audit log`);
      return { firstRequest: Math.min(...events.map(arrival)), firstCrdWrite: Math.min(...crdWrites.map(arrival)), last };
    }
    spawnSync('sleep', ['0.1']);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const up = () =>
  execFileSync(process.execPath, [join(root, 'testbed', 'up.mjs')], { stdio: 'ignore', env: { ...process.env, MESH_TESTBED_AUDIT: '1' } });
/** Whether the running API server writes the audit log: a request, then a look for it. */
function auditing() {
  if (!existsSync(auditLog)) return false;
  const before = statSync(auditLog).size;
  kubectl('get', 'namespace', 'default');
  spawnSync('sleep', ['0.5']);
  return statSync(auditLog).size > before;
}
up();
if (!auditing()) {
  log('restarting the testbed with the audit log on');
  execFileSync(process.execPath, [join(root, 'testbed', 'down.mjs')], { stdio: 'ignore' });
  up();
}
const dir = mkdtempSync(join(tmpdir(), 'mesh-bench-install-'));
const spec = join(dir, 'istio-operator.yaml');
writeFileSync(spec, mesh('render', '--profile', PROFILE), { mode: 0o600 });
const charts = paths.MESH_ISTIO_CHARTS;
/** helm: each release of the render, its values in a private file (JSON is YAML). */
const releases =
  BACKEND === 'helm'
    ? JSON.parse(mesh('render', '--profile', PROFILE, '--backend', 'helm', '-o', 'json')).releases.map((r) => {
        const values = join(dir, `${r.release}.values.yaml`);
        writeFileSync(values, JSON.stringify(r.values), { mode: 0o600 });
        return { ...r, values };
      })
    : [];
/** CHART_REPO=1: the testbed's charts as a chart repository on loopback (bench/chart-repo-server.mjs), and where it logs requests. */
const CHART_VERSION = paths.MESH_ISTIO_VERSION;
const repoLog = join(dir, 'requests.log');
const DELAY_NOTE = `each answered after ${Number(process.env.DELAY_MS ?? 0)} ms`;
let repoServer;
let repoUrl;
if (CHART_REPO) {
  const repoDir = join(dir, 'repo');
  run(bin('helm'), ['package', ...releases.map((r) => join(charts, r.chartPath)), '--version', CHART_VERSION, '-d', repoDir]);
  writeFileSync(repoLog, '');
  repoServer = spawn(process.execPath, [join(root, 'bench', 'chart-repo-server.mjs'), repoDir, repoLog], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  repoUrl = (await new Promise((resolve) => repoServer.stdout.once('data', (d) => resolve(String(d))))).trim();
  run(bin('helm'), ['repo', 'index', repoDir, '--url', repoUrl]);
}
/** The requests the chart repository has answered so far. */
const repoRequests = () => (CHART_REPO ? readFileSync(repoLog, 'utf8').split('\n').filter(Boolean).length : 0);
/** How bare helm names a release's chart: the local directory, or the repository's chart at the version. */
const chartRef = (r) => (CHART_REPO ? [r.chart, '--repo', repoUrl, '--version', CHART_VERSION] : [join(charts, r.chartPath)]);
/** The bare peer: what a user runs by hand for the same render. */
function bareInstall() {
  if (BACKEND === 'istioctl') return run(bin('istioctl'), ['install', '-f', spec, '-y', '--kubeconfig', kubeconfigPath]);
  for (const r of releases)
    run(bin('helm'), [
      'upgrade',
      '--install',
      r.release,
      ...chartRef(r),
      '--namespace',
      r.namespace,
      '--create-namespace',
      '--values',
      r.values,
      '--kubeconfig',
      kubeconfigPath,
    ]);
  for (const name of kubectl('get', 'deployments', '-n', 'istio-system', '-o', 'name').split('\n').filter(Boolean))
    kubectl('rollout', 'status', name, '-n', 'istio-system', '--timeout=300s');
}
const backendArgs =
  BACKEND === 'istioctl'
    ? []
    : ['--backend', 'helm', ...(CHART_REPO ? ['--chart-repo', repoUrl, '--chart-version', CHART_VERSION] : ['--charts', charts])];

/** Back to an empty cluster after either install, not timed. */
function clean() {
  for (const r of [...releases].reverse())
    spawnSync(bin('helm'), ['uninstall', r.release, '--namespace', r.namespace, '--kubeconfig', kubeconfigPath], { env, stdio: 'ignore' });
  spawnSync(bin('istioctl'), ['uninstall', '--purge', '-y', '--kubeconfig', kubeconfigPath], { env, stdio: 'ignore' });
  spawnSync(bin('kubectl'), ['--kubeconfig', kubeconfigPath, 'delete', 'namespace', 'istio-system', '--ignore-not-found', '--wait=true'], {
    env,
    stdio: 'ignore',
  });
  // The base chart keeps its CRDs on helm uninstall (resource-policy keep), and istioctl's purge
  // leaves those of a helm release: without this the next run would find them and write none.
  const crds = kubectl('get', 'customresourcedefinitions', '-o', 'name')
    .split('\n')
    .filter((n) => /\.istio\.io$/.test(n));
  if (crds.length) kubectl('delete', ...crds, '--wait=true');
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
const bareMs = [];
const heads = { mesh: [], bare: [] };
const startups = { mesh: [], bare: [] };
const tails = { mesh: [], bare: [] };
const downloads = { mesh: [], bare: [] };
/** One timed run, split at the applying tool's requests. */
function measure(who, fn) {
  const offset = statSync(auditLog).size;
  const requestsBefore = repoRequests();
  const t = timed(fn);
  downloads[who].push(repoRequests() - requestsBefore);
  const { firstRequest, firstCrdWrite, last } = toolRequests(offset, t.end);
  heads[who].push(firstCrdWrite - t.start);
  startups[who].push(firstRequest - t.start);
  tails[who].push(t.end - last);
  return t.ms;
}
for (let i = 0; i < PAIRS; i++) {
  log(`pair ${i + 1}/${PAIRS}`);
  if (COLD) env.MESH_CACHE = mkdtempSync(join(dir, 'cache-'));
  meshMs.push(measure('mesh', () => mesh('install', '--profile', PROFILE, ...backendArgs, '-y', '-o', 'json')));
  mesh('uninstall', '--purge', '-y');
  clean();
  bareMs.push(measure('bare', bareInstall));
  clean();
}
if (LOAD_PODS) kubectl('delete', 'namespace', 'load', '--wait=false');
repoServer?.kill();
rmSync(dir, { recursive: true, force: true });

const overhead = median(meshMs.map((m, i) => m - bareMs[i]));
const peer = BACKEND === 'helm' ? `helm upgrade --install x${releases.length} + kubectl rollout status` : 'istioctl install -f <render>';
console.log(
  `install --profile ${PROFILE} (${BACKEND}) on the testbed (Kubernetes ${paths.MESH_KUBERNETES_VERSION}, istioctl ` +
    `${paths.MESH_ISTIO_VERSION}), ${LOAD_PODS} other pods, ${COLD ? 'cold cache' : "istioctl's version remembered"}, ` +
    (CHART_REPO ? `charts from a chart repository on loopback, ` : '') +
    `${PAIRS} alternating pairs, wall ms:`,
);
console.log(
  `  ${'mesh install -y'.padEnd(Math.max(28, peer.length))}  median ${median(meshMs).toFixed(0)}  (${meshMs.map((x) => x.toFixed(0)).join(', ')})`,
);
console.log(`  ${peer.padEnd(28)}  median ${median(bareMs).toFixed(0)}  (${bareMs.map((x) => x.toFixed(0)).join(', ')})`);
console.log(
  `mesh's overhead, median of pairwise differences: ${overhead.toFixed(0)} ms (goal <= 300): ${overhead <= 300 ? 'met' : 'NOT met'}`,
);
const list = (xs) => xs.map((x) => x.toFixed(0)).join(', ');
const headAdded = median(heads.mesh) - median(heads.bare);
const tailAdded = median(tails.mesh) - median(tails.bare);
console.log(`split at ${BACKEND}'s own requests (audit log), medians in ms:`);
/** One measure's medians and runs, mesh's line above the bare peer's. */
const rows = (label, series) => {
  console.log(`  ${`${label}:`.padEnd(37)}mesh ${median(series.mesh).toFixed(0)} (${list(series.mesh)})`);
  console.log(`  ${''.padEnd(37)}bare ${median(series.bare).toFixed(0)} (${list(series.bare)})`);
};
rows(`start to ${BACKEND}'s first request`, startups);
rows(`start to ${BACKEND}'s first CRD write`, heads);
// helm: the tail holds the wait for readiness in both runs (mesh's watch; kubectl rollout status).
rows(`${BACKEND}'s last request to exit`, tails);
if (CHART_REPO)
  console.log(`requests to the chart repository (${DELAY_NOTE}) per run: mesh ${list(downloads.mesh)}; bare ${list(downloads.bare)}`);
const poll = BACKEND === 'istioctl' ? " without istioctl's poll" : '';
console.log(
  `mesh's overhead${poll}: head +${headAdded.toFixed(0)}, tail +${tailAdded.toFixed(0)}, ` +
    `together ${(headAdded + tailAdded).toFixed(0)} ms (goal <= 300): ${headAdded + tailAdded <= 300 ? 'met' : 'NOT met'}`,
);
