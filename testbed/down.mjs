#!/usr/bin/env node
// npm run testbed:down — stops every process testbed:up started (by pid) and removes its data.
import { rmSync } from 'node:fs';
import { isAlive, readState, stateDir } from './lib.mjs';

const state = readState();
if (!state) {
  process.stderr.write('[testbed] not running\n');
  rmSync(stateDir, { recursive: true, force: true });
  process.exit(0);
}
// Reverse start order: kwok and controllers first, etcd last.
const pids = Object.entries(state.pids).reverse();
for (const [, pid] of pids) if (isAlive(pid)) process.kill(pid, 'SIGTERM');
// The API server's graceful shutdown takes ~60 s; the testbed's data is thrown away, so don't wait.
const deadline = Date.now() + 3_000;
while (pids.some(([, pid]) => isAlive(pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
for (const [, pid] of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
rmSync(stateDir, { recursive: true, force: true });
process.stderr.write(`[testbed] stopped ${pids.map(([n]) => n).join(', ')} and removed ${stateDir}\n`);
