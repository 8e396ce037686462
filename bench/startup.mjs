#!/usr/bin/env node
// npm run bench:startup — start-up cost of the CLI beside bare Node, in one run, on this machine.
// Target (issue 6): `mesh --help` within 1.5x of `node -e 0`.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mesh = join(root, 'bin', 'mesh.js');
const RUNS = Number(process.env.RUNS ?? 21);
const cases = [
  ['node -e 0', ['-e', '0']],
  ['mesh --help', [mesh, '--help']],
  ['mesh --version', [mesh, '--version']],
  ['mesh render --profile demo', [mesh, 'render', '--profile', 'demo']],
  ['mesh install --dry-run', [mesh, 'install', '--profile', 'demo', '--dry-run']],
];

function time(args) {
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], min: samples[0] };
}

const results = cases.map(([name, args]) => ({ name, ...time(args) }));
const base = results[0].median;
console.log(`node ${process.version}, ${RUNS} runs each, median (min) wall time:`);
for (const r of results)
  console.log(
    `  ${r.name.padEnd(28)} ${r.median.toFixed(1).padStart(7)} ms (${r.min.toFixed(1)})  ${(r.median / base).toFixed(2)}x bare node`,
  );
const help = results[1].median / base;
console.log(`mesh --help is ${help.toFixed(2)}x bare node (target <= 1.50): ${help <= 1.5 ? 'met' : 'NOT met'}`);
