import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/mesh.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The published package works on its own: `npm pack`, install the tarball into an empty prefix
 * with --omit=dev (the bundle carries every dependency, so nothing else is installed), and run
 * the installed `mesh` on Node 22 and 24 from npm's own `node@22`/`node@24` packages.
 */
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
const t = tempDir();
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** npm's node@<major> package, installed once into ~/.cache/mesh/node-<major> (keyed by major). */
function nodeBinary(major: number): string {
  const dir = join(process.env.MESH_CACHE ?? join(homedir(), '.cache', 'mesh'), `node-${major}`);
  const bin = join(dir, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, allowScripts: { node: true } }));
    npm(['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node@${major}`], dir);
  }
  return bin;
}

let installed: string;

beforeAll(() => {
  const tarball = npm(['pack', '--pack-destination', t.dir, '--silent'], repoRoot).trim().split('\n').at(-1)!;
  const prefix = join(t.dir, 'prefix');
  mkdirSync(prefix);
  writeFileSync(join(prefix, 'package.json'), '{"private":true}\n');
  npm(['install', '--omit=dev', '--no-audit', '--no-fund', join(t.dir, tarball)], prefix);
  installed = join(prefix, 'node_modules', pkg.name, 'bin', 'mesh.js');
}, 300_000);

describe(`the ${pkg.name} package`, () => {
  it('is named for a free registry name and installs nothing but itself', () => {
    expect(pkg.name).toBe('istio-mesh');
    expect(readdirSync(join(t.dir, 'prefix', 'node_modules')).filter((d) => !d.startsWith('.'))).toEqual([pkg.name]);
    expect(existsSync(join(t.dir, 'prefix', 'node_modules', '.bin', 'mesh'))).toBe(true);
  });

  it.each([22, 24])(
    'runs on Node %i: --version, render, verify --help',
    (major) => {
      const node = nodeBinary(major);
      expect(execFileSync(node, ['--version'], { encoding: 'utf8' })).toMatch(new RegExp(`^v${major}\\.`));
      const run = (args: string[]) =>
        execFileSync(node, [installed, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect(run(['--version']).trim()).toBe(pkg.version);
      expect(parse(run(['render', '--profile', 'demo']))).toMatchObject({ kind: 'IstioOperator', spec: { profile: 'demo' } });
      expect(run(['verify', '--help'])).toMatch(/^Usage: mesh verify/);
    },
    300_000,
  );
});
