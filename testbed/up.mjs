#!/usr/bin/env node
// npm run testbed:up — etcd + kube-apiserver + kube-controller-manager + kube-scheduler + kwok,
// all on loopback, with 3 fake nodes whose pods become Ready, and a runner that serves each
// istiod Service with a real pilot-discovery (see istiod-runner.mjs). Reuses a running testbed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { buildTestbed, isAlive, kubeconfigPath, readState, spawnComponent, stateDir, statePath, testbedDir } from './lib.mjs';
import { kubeconfigYaml, makeCertificates } from './certs.mjs';

const NODE_COUNT = Number(process.env.MESH_TESTBED_NODES ?? 3);
// Every address the control plane dials stays on loopback: Service ClusterIPs (without
// --enable-aggregator-routing the API server calls admission webhooks at the ClusterIP) and the
// fake nodes' IP (logs/exec). Nothing answers there unless a test starts a server, so a webhook
// call fails fast instead of leaving the machine. Pod IPs cannot be loopback (EndpointSlice
// validation rejects them); they are data only, never dialed by any component here.
const SERVICE_CIDR = '127.96.0.0/16';
const POD_CIDR = '10.244.0.0/16';
const log = (msg) => process.stderr.write(`[testbed] ${msg}\n`);

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

function get(url, certs) {
  return new Promise((resolve) => {
    const req = request(
      url,
      { ca: readFileSync(certs.ca), cert: readFileSync(certs.adminCert), key: readFileSync(certs.adminKey), timeout: 2000 },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      },
    );
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function waitFor(what, seconds, test) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await test()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not ready after ${seconds}s; logs in ${join(stateDir, 'logs')}`);
}

/** Every component's command line, kept in state.json so testbed/restart.mjs can start one again. */
const commands = {};

function start(name, bin, args, pids) {
  commands[name] = { bin, args };
  pids[name] = spawnComponent(name, bin, args);
  log(`${name} started (pid ${pids[name]})`);
}

function nodeManifest(i) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: `kwok-node-${i}`,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': `kwok-node-${i}`, type: 'kwok' },
    },
    status: {
      allocatable: { cpu: '64', memory: '256Gi', pods: '3000' },
      capacity: { cpu: '64', memory: '256Gi', pods: '3000' },
      phase: 'Running',
    },
  };
}

/**
 * MESH_TESTBED_AUDIT=1 records every request's verb, path and user agent (no bodies) in
 * <state>/audit.log, so benchmarks can count a client's requests from the server's side.
 */
function auditFlags() {
  if (process.env.MESH_TESTBED_AUDIT !== '1') return [];
  const policy = join(stateDir, 'audit-policy.yaml');
  writeFileSync(policy, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n');
  return ['--audit-policy-file', policy, '--audit-log-path', join(stateDir, 'audit.log'), '--audit-log-maxsize', '1024'];
}

async function main() {
  const existing = readState();
  if (existing && Object.values(existing.pids).every(isAlive)) {
    log(`already running (started ${existing.startedAt}); reusing it`);
    process.stdout.write(`${existing.kubeconfig}\n`);
    return;
  }
  if (existing) {
    log('a previous testbed died; cleaning it up');
    for (const pid of Object.values(existing.pids)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  const t0 = Date.now();
  const paths = buildTestbed();
  const bin = (name) => join(paths.MESH_TESTBED_BIN, name);
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(join(stateDir, 'logs'), { recursive: true, mode: 0o700 });
  mkdirSync(join(stateDir, 'pki'), { mode: 0o700 });
  const certs = makeCertificates(join(stateDir, 'pki'));
  const [etcdPort, peerPort, apiPort, kcmPort, schedPort, kwokPort] = await Promise.all(Array.from({ length: 6 }, freePort));
  const server = `https://127.0.0.1:${apiPort}`;
  writeFileSync(kubeconfigPath, kubeconfigYaml({ server, ca: certs.ca, cert: certs.adminCert, key: certs.adminKey }), { mode: 0o600 });
  const pids = {};
  const state = { pids, commands, server, kubeconfig: kubeconfigPath, context: 'mesh-testbed', startedAt: new Date().toISOString(), paths };
  const save = () => writeFileSync(statePath, JSON.stringify(state, null, 2), { mode: 0o600 });
  try {
    start(
      'etcd',
      bin('etcd'),
      [
        '--name',
        'testbed',
        '--data-dir',
        join(stateDir, 'etcd'),
        '--listen-client-urls',
        `http://127.0.0.1:${etcdPort}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${etcdPort}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${peerPort}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${peerPort}`,
        '--initial-cluster',
        `testbed=http://127.0.0.1:${peerPort}`,
        '--unsafe-no-fsync',
        '--quota-backend-bytes',
        String(4 * 1024 ** 3),
        '--listen-metrics-urls',
        '',
        '--log-level',
        'warn',
      ],
      pids,
    );
    save();
    start(
      'kube-apiserver',
      bin('kube-apiserver'),
      [
        '--etcd-servers',
        `http://127.0.0.1:${etcdPort}`,
        '--bind-address',
        '127.0.0.1',
        '--advertise-address',
        '127.0.0.1',
        '--secure-port',
        String(apiPort),
        '--tls-cert-file',
        certs.serverCert,
        '--tls-private-key-file',
        certs.serverKey,
        '--client-ca-file',
        certs.ca,
        '--service-account-issuer',
        'https://kubernetes.default.svc',
        '--service-account-signing-key-file',
        certs.saKey,
        '--service-account-key-file',
        certs.saPub,
        '--authorization-mode',
        'Node,RBAC',
        '--service-cluster-ip-range',
        SERVICE_CIDR,
        '--allow-privileged=true',
        '--endpoint-reconciler-type',
        'none',
        '--enable-priority-and-fairness=false',
        '--max-requests-inflight',
        '2000',
        '--max-mutating-requests-inflight',
        '1000',
        '--profiling=false',
        '--v',
        '1',
        ...auditFlags(),
      ],
      pids,
    );
    save();
    await waitFor('kube-apiserver', 90, async () => (await get(`${server}/readyz`, certs)).status === 200);
    log(`kube-apiserver ready at ${server}`);
    start(
      'kube-controller-manager',
      bin('kube-controller-manager'),
      [
        '--kubeconfig',
        kubeconfigPath,
        '--authentication-kubeconfig',
        kubeconfigPath,
        '--authorization-kubeconfig',
        kubeconfigPath,
        '--root-ca-file',
        certs.ca,
        '--service-account-private-key-file',
        certs.saKey,
        '--use-service-account-credentials',
        '--cluster-signing-cert-file',
        certs.ca,
        '--cluster-signing-key-file',
        certs.caKey,
        '--bind-address',
        '127.0.0.1',
        '--secure-port',
        String(kcmPort),
        '--leader-elect=false',
        '--concurrent-deployment-syncs',
        '10',
        '--kube-api-qps',
        '500',
        '--kube-api-burst',
        '1000',
        '--profiling=false',
      ],
      pids,
    );
    start(
      'kube-scheduler',
      bin('kube-scheduler'),
      [
        '--kubeconfig',
        kubeconfigPath,
        '--authentication-kubeconfig',
        kubeconfigPath,
        '--authorization-kubeconfig',
        kubeconfigPath,
        '--bind-address',
        '127.0.0.1',
        '--secure-port',
        String(schedPort),
        '--leader-elect=false',
        '--kube-api-qps',
        '500',
        '--kube-api-burst',
        '1000',
        '--profiling=false',
      ],
      pids,
    );
    // kwok ships no stages in its binary: its own "fast" node and pod stages make pods Ready at once.
    const stages = [
      'node/fast/node-initialize.yaml',
      'node/heartbeat/node-heartbeat.yaml',
      'pod/fast/pod-ready.yaml',
      'pod/fast/pod-complete.yaml',
      'pod/fast/pod-delete.yaml',
    ];
    writeFileSync(join(stateDir, 'kwok.yaml'), stages.map((f) => readFileSync(join(paths.MESH_KWOK_STAGES, f), 'utf8')).join('\n---\n'));
    // MESH_TESTBED_KUBELET_API=1: kwok also serves the kubelet API on the nodes' address and port,
    // over TLS as the API server expects, with its PortForward resources, so a test can point a
    // pod's port at a server of its own and `mesh dashboard` reaches it through the API server.
    // Opt-in (the dashboard test): the other tests run on the plain testbed they were proven on.
    const kubeletApi = process.env.MESH_TESTBED_KUBELET_API === '1';
    if (kubeletApi)
      execFileSync(
        bin('kubectl'),
        [
          '--kubeconfig',
          kubeconfigPath,
          'apply',
          '-f',
          join(dirname(paths.MESH_KWOK_STAGES), 'crd', 'bases', 'kwok.x-k8s.io_portforwards.yaml'),
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
    start(
      'kwok',
      bin('kwok'),
      [
        '--config',
        join(stateDir, 'kwok.yaml'),
        '--kubeconfig',
        kubeconfigPath,
        '--manage-nodes-with-annotation-selector',
        'kwok.x-k8s.io/node=fake',
        '--cidr',
        POD_CIDR,
        '--node-ip',
        '127.0.0.1',
        '--server-address',
        `127.0.0.1:${kwokPort}`,
        ...(kubeletApi
          ? [
              '--node-port',
              String(kwokPort),
              '--tls-cert-file',
              certs.serverCert,
              '--tls-private-key-file',
              certs.serverKey,
              '--enable-crds',
              'PortForward',
            ]
          : []),
      ],
      pids,
    );
    start(
      'istiod-runner',
      process.execPath,
      [
        join(testbedDir, 'istiod-runner.mjs'),
        server,
        join(stateDir, 'pki'),
        join(stateDir, 'istiod'),
        // Each Istio version's pilot-discovery, the first the default (see istiod-runner.mjs).
        [
          `${paths.MESH_ISTIO_VERSION}=${bin('pilot-discovery')}`,
          `${paths.MESH_ISTIO_PREVIOUS_VERSION}=${join(paths.MESH_ISTIO_PREVIOUS_BIN, 'pilot-discovery')}`,
        ].join(','),
        kubeconfigPath,
      ],
      pids,
    );
    save();
    const list = { apiVersion: 'v1', kind: 'List', items: Array.from({ length: NODE_COUNT }, (_, i) => nodeManifest(i)) };
    execFileSync(bin('kubectl'), ['--kubeconfig', kubeconfigPath, 'apply', '-f', '-'], {
      input: JSON.stringify(list),
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    await waitFor(`${NODE_COUNT} Ready nodes`, 60, async () => {
      const { status, body } = await get(`${server}/api/v1/nodes`, certs);
      if (status !== 200) return false;
      const nodes = JSON.parse(body).items;
      return nodes.length >= NODE_COUNT && nodes.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    });
    // Service-account tokens for pods appear once kube-controller-manager runs.
    await waitFor(
      'default service account',
      60,
      async () => (await get(`${server}/api/v1/namespaces/default/serviceaccounts/default`, certs)).status === 200,
    );
  } catch (error) {
    log(`failed: ${error.message}; stopping what started`);
    for (const pid of Object.values(pids)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    throw error;
  }
  log(`up in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${NODE_COUNT} Ready nodes; kubeconfig (context mesh-testbed):`);
  process.stdout.write(`${kubeconfigPath}\n`);
}

main().catch((error) => {
  process.stderr.write(`[testbed] ${error.message}\n`);
  process.exit(1);
});
