#!/usr/bin/env node
// npm run demo — the main job, end to end, on the local testbed: bring the cluster up, install
// Istio's demo profile with injection on in `default`, and prove it with `mesh verify`.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTestbed, kubeconfigPath } from '../testbed/lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const paths = buildTestbed();
const env = { ...process.env, PATH: `${paths.MESH_TESTBED_BIN}:${process.env.PATH}`, KUBECONFIG: kubeconfigPath };
const step = (title, file, args) => {
  process.stderr.write(`\n==> ${title}\n$ ${[file === process.execPath ? 'node' : file, ...args].join(' ')}\n`);
  return spawnSync(file, args, { stdio: 'inherit', env }).status ?? 1;
};
const mesh = join(root, 'bin', 'mesh.js');

if (
  step('start the testbed (etcd, kube-apiserver, controllers, kwok, istiod runner)', process.execPath, [
    join(root, 'testbed', 'up.mjs'),
  ]) !== 0
)
  process.exit(1);
const installed = step('install the demo profile', process.execPath, [
  mesh,
  'install',
  '--profile',
  'demo',
  '--inject-namespace',
  'default',
  '-y',
]);
if (installed !== 0) process.exit(installed);
const verified = step('verify the mesh', process.execPath, [mesh, 'verify']);
process.stderr.write(
  `\nThe testbed keeps running. Try:\n  export KUBECONFIG=${kubeconfigPath} PATH=${paths.MESH_TESTBED_BIN}:$PATH\n  node bin/mesh.js status\n  node bin/mesh.js uninstall --purge -y\n  npm run testbed:down\n`,
);
process.exit(verified);
