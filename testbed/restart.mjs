#!/usr/bin/env node
// node testbed/restart.mjs <component> [--down <seconds>] — stops one running testbed component
// (kube-apiserver, etcd, ...) and starts it again with the same command line after <seconds>;
// the fault the e2e tests use to prove that mesh rides out an API server restart.
import { writeFileSync } from 'node:fs';
import { isAlive, readState, spawnComponent, statePath } from './lib.mjs';

const [name, flag, value] = process.argv.slice(2);
const down = flag === '--down' ? Number(value) : 0;
const state = readState();
const command = state?.commands?.[name];
if (!state || !command) {
  process.stderr.write(`[testbed] restart: no running component named ${name ?? '(none)'}\n`);
  process.exit(2);
}
const pid = state.pids[name];
if (isAlive(pid)) process.kill(pid, 'SIGKILL');
while (isAlive(pid)) await new Promise((r) => setTimeout(r, 50));
process.stderr.write(`[testbed] ${name} stopped; starting it again in ${down}s\n`);
await new Promise((r) => setTimeout(r, down * 1000));
state.pids[name] = spawnComponent(name, command.bin, command.args);
writeFileSync(statePath, JSON.stringify(state, null, 2), { mode: 0o600 });
process.stderr.write(`[testbed] ${name} started again (pid ${state.pids[name]})\n`);
