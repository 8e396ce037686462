#!/usr/bin/env node
// The testbed's stand-in for a kubelet running istiod: kwok pods run nothing, so admission
// webhooks would have nobody to answer. This process watches for istiod Services and runs the
// real pilot-discovery bound to each Service's ClusterIP, which the testbed keeps on loopback.
// The binary is the one of the Istio version the revision's istiod Deployment runs (its image
// tag), so two versions side by side, and an upgrade in place, run what they would in a cluster.
// Injection, validation and caBundle patching then happen for real; a Service deleted stops its istiod.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { adminTls } from './lib.mjs';

// pilots: "1.31.0=/path/pilot-discovery,1.30-dev=/other/pilot-discovery", the first the default.
const [, , server, pkiDir, workDir, pilots, kubeconfig] = process.argv;
const pilotByVersion = new Map(pilots.split(',').map((entry) => entry.split('=')));
const defaultPilot = [...pilotByVersion.values()][0];
const tls = adminTls(pkiDir);
const running = new Map(); // "ns/name" -> { ip, pilot, child }
const services = new Map(); // "ns/name" -> the Service last seen
const log = (msg) => process.stderr.write(`${new Date().toISOString()} ${msg}\n`);

/** The pilot-discovery of the version the revision's Deployment runs (its discovery image's tag). */
async function pilotFor(namespace, revision) {
  const selector = encodeURIComponent(`app=istiod,istio.io/rev=${revision}`);
  try {
    const list = await readAll(await call(`/apis/apps/v1/namespaces/${namespace}/deployments?labelSelector=${selector}`));
    const image = list.items?.[0]?.spec?.template?.spec?.containers?.find((c) => c.name === 'discovery')?.image ?? '';
    const tag = image.slice(image.lastIndexOf(':') + 1).replace(/-(distroless|debug)$/, '');
    return pilotByVersion.get(tag) ?? defaultPilot;
  } catch {
    return defaultPilot;
  }
}

/** One start at a time per Service: events for it queue up. */
const queues = new Map();
function schedule(svc) {
  const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
  services.set(key, svc);
  const next = (queues.get(key) ?? Promise.resolve()).then(() => start(svc)).catch((error) => log(`start ${key}: ${error.message}`));
  queues.set(key, next);
}

async function start(svc) {
  const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
  if (!services.has(key)) return;
  const ip = svc.spec.clusterIP;
  const revision = svc.metadata.labels?.['istio.io/rev'] ?? 'default';
  const pilotDiscovery = await pilotFor(svc.metadata.namespace, revision);
  if (!services.has(key)) return; // deleted meanwhile
  const current = running.get(key);
  if (current?.ip === ip && current.pilot === pilotDiscovery) return;
  if (current) stop(key);
  if (!ip || ip === 'None' || !ip.startsWith('127.')) return log(`skip ${key}: ClusterIP ${ip} is not on loopback`);
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
  running.set(key, { ip, pilot: pilotDiscovery, child });
  log(`istiod for ${key} (revision ${revision}) started on ${ip} from ${pilotDiscovery}, pid ${child.pid}`);
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

/** Lists then watches `path` (label app=istiod) for ever, calling onEvent(type, object). */
async function follow(path, onList, onEvent) {
  const selector = encodeURIComponent('app=istiod');
  for (;;) {
    try {
      const list = await readAll(await call(`${path}?labelSelector=${selector}`));
      onList(list.items);
      const res = await call(
        `${path}?labelSelector=${selector}&watch=true&resourceVersion=${list.metadata.resourceVersion}&timeoutSeconds=300`,
      );
      let buffer = '';
      for await (const chunk of res) {
        buffer += chunk;
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const event = JSON.parse(buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
          onEvent(event.type, event.object);
        }
      }
    } catch (error) {
      log(`watch ${path} failed: ${error.message}; retrying`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

const keyOf = (o) => `${o.metadata.namespace}/${o.metadata.name}`;
const forget = (key) => (services.delete(key), stop(key));
follow(
  '/api/v1/services',
  (items) => {
    const seen = new Set(items.map(keyOf));
    for (const key of [...services.keys()]) if (!seen.has(key)) forget(key);
    items.forEach(schedule);
  },
  (type, svc) => (type === 'DELETED' ? forget(keyOf(svc)) : type === 'ADDED' || type === 'MODIFIED' ? schedule(svc) : undefined),
);
// A Deployment created after its Service, or upgraded in place, changes which istiod must run.
const recheck = (deployment) => {
  for (const svc of services.values()) if (svc.metadata.namespace === deployment.metadata.namespace) schedule(svc);
};
follow(
  '/apis/apps/v1/deployments',
  (items) => items.forEach(recheck),
  (_type, deployment) => recheck(deployment),
);

for (const signal of ['SIGTERM', 'SIGINT'])
  process.on(signal, () => {
    for (const key of [...running.keys()]) stop(key);
    setTimeout(() => process.exit(0), 200);
  });
