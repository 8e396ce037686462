#!/usr/bin/env node
// The testbed's stand-in for a kubelet running istiod: kwok pods run nothing, so admission
// webhooks would have nobody to answer. This process watches for istiod Services and runs the
// real pilot-discovery (built from the same Istio module as istioctl) bound to each Service's
// ClusterIP, which the testbed keeps on loopback. Injection, validation and caBundle patching
// then happen for real; a Service deleted stops its istiod.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';

const [, , server, pkiDir, workDir, pilotDiscovery, kubeconfig] = process.argv;
const tls = {
  ca: readFileSync(join(pkiDir, 'ca.crt')),
  cert: readFileSync(join(pkiDir, 'admin.crt')),
  key: readFileSync(join(pkiDir, 'admin.key')),
};
const running = new Map(); // "ns/name" -> { ip, child }
const log = (msg) => process.stderr.write(`${new Date().toISOString()} ${msg}\n`);

function start(svc) {
  const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
  const ip = svc.spec.clusterIP;
  const current = running.get(key);
  if (current?.ip === ip) return;
  if (current) stop(key);
  if (!ip || ip === 'None' || !ip.startsWith('127.')) return log(`skip ${key}: ClusterIP ${ip} is not on loopback`);
  const revision = svc.metadata.labels?.['istio.io/rev'] ?? 'default';
  const dir = join(workDir, key.replace('/', '_'));
  mkdirSync(dir, { recursive: true });
  const out = openSync(join(dir, 'istiod.log'), 'a');
  const child = spawn(
    pilotDiscovery,
    [
      'discovery',
      '--kubeconfig',
      kubeconfig,
      '--httpsAddr',
      `${ip}:443`,
      '--httpAddr',
      `${ip}:8080`,
      '--grpcAddr',
      `${ip}:15010`,
      '--secureGRPCAddr',
      `${ip}:15012`,
      '--monitoringAddr',
      `${ip}:15014`,
      '--ctrlz_port',
      '0',
      '--domain',
      'cluster.local',
    ],
    {
      cwd: dir,
      stdio: ['ignore', out, out],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        REVISION: revision,
        POD_NAMESPACE: svc.metadata.namespace,
        POD_NAME: `${svc.metadata.name}-testbed`,
        SERVICE_ACCOUNT: revision === 'default' ? 'istiod' : `istiod-${revision}`,
        PILOT_CERT_PROVIDER: 'istiod',
        CLUSTER_ID: 'Kubernetes',
        PILOT_ENABLE_ANALYSIS: 'false',
      },
    },
  );
  child.on('exit', (code, signal) => {
    if (running.get(key)?.child === child) {
      running.delete(key);
      log(`istiod for ${key} exited (${signal ?? code})`);
    }
  });
  running.set(key, { ip, child });
  log(`istiod for ${key} (revision ${revision}) started on ${ip}, pid ${child.pid}`);
}

function stop(key) {
  const entry = running.get(key);
  if (!entry) return;
  running.delete(key);
  entry.child.kill('SIGTERM');
  log(`istiod for ${key} stopped`);
}

function call(path) {
  return new Promise((resolve, reject) => {
    const req = request(`${server}${path}`, { ...tls, headers: { accept: 'application/json' } }, resolve);
    req.on('error', reject);
    req.end();
  });
}

async function readAll(res) {
  let body = '';
  for await (const chunk of res) body += chunk;
  return JSON.parse(body);
}

const selector = encodeURIComponent('app=istiod');
async function loop() {
  for (;;) {
    try {
      const list = await readAll(await call(`/api/v1/services?labelSelector=${selector}`));
      const seen = new Set();
      for (const svc of list.items) {
        seen.add(`${svc.metadata.namespace}/${svc.metadata.name}`);
        start(svc);
      }
      for (const key of [...running.keys()]) if (!seen.has(key)) stop(key);
      const res = await call(
        `/api/v1/services?labelSelector=${selector}&watch=true&resourceVersion=${list.metadata.resourceVersion}&timeoutSeconds=300`,
      );
      let buffer = '';
      for await (const chunk of res) {
        buffer += chunk;
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const event = JSON.parse(buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
          if (event.type === 'ADDED' || event.type === 'MODIFIED') start(event.object);
          else if (event.type === 'DELETED') stop(`${event.object.metadata.namespace}/${event.object.metadata.name}`);
        }
      }
    } catch (error) {
      log(`watch failed: ${error.message}; retrying`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

for (const signal of ['SIGTERM', 'SIGINT'])
  process.on(signal, () => {
    for (const key of [...running.keys()]) stop(key);
    setTimeout(() => process.exit(0), 200);
  });
loop();
