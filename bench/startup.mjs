#!/usr/bin/env node
// npm run bench:startup — start-up cost of the CLI beside its peers, in one run, on this machine:
// bare Node (the floor every Node CLI stands on) and istioctl (the Go tool mesh drives). Cases run
// in alternating rounds, so drift in the machine's load falls on all of them alike.
// Goals (issue 12): `mesh --help` <= 1.3x bare node; `mesh render --profile demo` <= 1.5x bare
// node; `mesh --version` no slower than `istioctl version --remote=false`.
// Beside them, two floors (bench/floors): a commander program with mesh's surface and nothing
// else, and the same reading and writing the demo profile's YAML, each bundled and started as
// mesh is. They are what the chosen packages cost before mesh does any work of its own.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { builtinsViaRequire, yamlAsEsModules } from '../scripts/bundle-plugins.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mesh = join(root, 'bin', 'mesh.js');
const RUNS = Number(process.env.RUNS ?? 21);
const node = process.execPath;
const istioctl = process.env.ISTIOCTL ?? findOnPath('istioctl');

function findOnPath(name) {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

/** Each floor bundled as dist/ is (its plugins for builtins and yaml, minified) and started by a copy of bin/mesh.js's launcher. */
const floorsDir = mkdtempSync(join(tmpdir(), 'mesh-bench-floors-'));
process.on('exit', () => rmSync(floorsDir, { recursive: true, force: true }));
const launcher = (bundle) =>
  `import('node:module').then((m) => m.enableCompileCache?.()).catch(() => undefined)` +
  `.then(() => import('./${bundle}')).then(({ main }) => main(process.argv.slice(2))).then((code) => process.exit(code));\n`;
for (const floor of ['help', 'render']) {
  await build({
    entryPoints: [join(root, 'bench', 'floors', `${floor}.mjs`)],
    outfile: join(floorsDir, `${floor}.bundle.mjs`),
    bundle: true,
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    format: 'esm',
    platform: 'node',
    target: 'node22',
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    plugins: [yamlAsEsModules, builtinsViaRequire],
    logLevel: 'error',
  });
  writeFileSync(join(floorsDir, `${floor}.mjs`), launcher(`${floor}.bundle.mjs`));
}

const cases = [
  ['node -e 0', node, ['-e', '0']],
  ['floor: commander alone, --help', node, [join(floorsDir, 'help.mjs'), '--help']],
  ['mesh --help', node, [mesh, '--help']],
  ['floor: commander + yaml, render', node, [join(floorsDir, 'render.mjs'), 'render', '--profile', join(root, 'profiles', 'demo.yaml')]],
  ['mesh --version', node, [mesh, '--version']],
  ['mesh render --profile demo', node, [mesh, 'render', '--profile', 'demo']],
  ['mesh install --dry-run', node, [mesh, 'install', '--profile', 'demo', '--dry-run']],
  ...(istioctl ? [['istioctl version --remote=false', istioctl, ['version', '--remote=false']]] : []),
];

const samples = cases.map(() => []);
const env = { ...process.env, NO_COLOR: '1' };
for (let round = -1; round < RUNS; round++)
  cases.forEach(([name, file, args], i) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(file, args, { stdio: 'ignore', env });
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}`);
    if (round >= 0) samples[i].push(Number(process.hrtime.bigint() - t0) / 1e6); // round -1 warms caches
  });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = cases.map(([name], i) => ({ name, median: median(samples[i]), min: Math.min(...samples[i]) }));
const byName = Object.fromEntries(results.map((r) => [r.name, r.median]));
const base = byName['node -e 0'];
console.log(`node ${process.version}, ${RUNS} alternating rounds, median (min) wall time:`);
for (const r of results)
  console.log(
    `  ${r.name.padEnd(34)} ${r.median.toFixed(1).padStart(7)} ms (${r.min.toFixed(1)})  ${(r.median / base).toFixed(2)}x bare node`,
  );
const goal = (what, value, limit) => console.log(`${what}: ${value.toFixed(2)} (goal <= ${limit}): ${value <= limit ? 'met' : 'NOT met'}`);
goal('mesh --help / bare node', byName['mesh --help'] / base, 1.3);
goal('mesh render --profile demo / bare node', byName['mesh render --profile demo'] / base, 1.5);
const overFloor = (what, value, floor) =>
  console.log(`${what}: ${(byName[value] - byName[floor]).toFixed(1)} ms over its floor (${(byName[value] / byName[floor]).toFixed(2)}x)`);
overFloor('mesh --help', 'mesh --help', 'floor: commander alone, --help');
overFloor('mesh render --profile demo', 'mesh render --profile demo', 'floor: commander + yaml, render');
if (istioctl)
  goal('mesh --version / istioctl version --remote=false', byName['mesh --version'] / byName['istioctl version --remote=false'], 1);
else console.log('istioctl not found (set ISTIOCTL or PATH): its peer case was not run');
