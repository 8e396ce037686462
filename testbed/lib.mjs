// Shared by testbed/up.mjs, down.mjs and the e2e tests: where the testbed's files live.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const testbedDir = dirname(fileURLToPath(import.meta.url));
export const stateDir = process.env.MESH_TESTBED_STATE ?? join(homedir(), '.cache', 'mesh', 'run');
export const statePath = join(stateDir, 'state.json');
export const kubeconfigPath = join(stateDir, 'kubeconfig');

/** TLS options with the testbed admin's certificate, for a client of its own API server. */
export function adminTls(pkiDir = join(stateDir, 'pki')) {
  return {
    ca: readFileSync(join(pkiDir, 'ca.crt')),
    cert: readFileSync(join(pkiDir, 'admin.crt')),
    key: readFileSync(join(pkiDir, 'admin.key')),
  };
}

/** Builds (or finds in the cache) the binaries; returns the parsed paths.env. */
export function buildTestbed({ quiet = false, helm4 = false } = {}) {
  const root = execFileSync('bash', [join(testbedDir, 'build.sh')], {
    stdio: ['ignore', 'pipe', quiet ? 'pipe' : 'inherit'],
    encoding: 'utf8',
    ...(helm4 ? { env: { ...process.env, MESH_TESTBED_HELM4: '1' } } : {}),
  })
    .trim()
    .split('\n')
    .pop();
  const env = {};
  for (const line of readFileSync(join(root, 'paths.env'), 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

export function readState() {
  if (!existsSync(statePath)) return undefined;
  try {
    return JSON.parse(readFileSync(statePath, 'utf8'));
  } catch {
    return undefined;
  }
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts one testbed component detached, its output appended to logs/<name>.log; returns its pid. */
export function spawnComponent(name, bin, args) {
  const out = openSync(join(stateDir, 'logs', `${name}.log`), 'a');
  const child = spawn(bin, args, { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  return child.pid;
}
