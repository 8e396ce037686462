import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mesh, meshBin, type MeshResult } from '../helpers/mesh.js';
import { testbedPaths } from '../helpers/testbed.js';
import { kubeconfig, resetTestbed } from './helpers.js';

/**
 * Issue 11: `mesh istio fetch|list|use|remove` against a mirror on loopback that serves a release
 * archive built here from the testbed's real istioctl and Istio's charts and samples, laid out as
 * Istio's downloads are (`<version>/istio-<version>-<platform>.tar.gz` and its `.sha256`).
 */
const VERSION = '1.31.0';
const PLATFORM = `${process.platform === 'darwin' ? 'osx' : 'linux'}-${process.arch === 'x64' ? 'amd64' : 'arm64'}`;
const NAME = `istio-${VERSION}-${PLATFORM}.tar.gz`;
const work = mkdtempSync(join(tmpdir(), 'mesh-istio-release-'));
const cache = join(work, 'cache');

/** A release tree like Istio's: bin/istioctl, manifests/charts, samples/{addons,bookinfo}. */
function releaseArchive(name: string, extra: (top: string) => string[] = () => []): Buffer {
  const root = join(work, `tree-${name}`);
  const top = join(root, `istio-${VERSION}`);
  const src = testbedPaths().MESH_ISTIO_SRC;
  mkdirSync(join(top, 'bin'), { recursive: true });
  cpSync(join(testbedPaths().MESH_TESTBED_BIN, 'istioctl'), join(top, 'bin', 'istioctl'));
  cpSync(join(src, 'manifests', 'charts'), join(top, 'manifests', 'charts'), { recursive: true });
  for (const s of ['addons', 'bookinfo']) cpSync(join(src, 'samples', s), join(top, 'samples', s), { recursive: true });
  const file = join(work, `${name}.tar.gz`);
  execFileSync('tar', ['-czf', file, '-C', root, ...extra(top), `istio-${VERSION}`]);
  return readFileSync(file);
}

type Fault = 'none' | 'tamper' | 'drop' | 'slow';
/** The mirror: files by path, and a fault for the archive request. */
function startMirror(files: Map<string, Buffer>, fault: () => Fault) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push(path);
    if (path === '/') {
      res.end([...files.keys()].map((p) => `<a href="${p.split('/')[1]}/">${p.split('/')[1]}/</a>`).join('\n'));
      return;
    }
    let body = files.get(path);
    if (!body) return void res.writeHead(404).end('not found');
    const f = path.endsWith('.tar.gz') ? fault() : 'none';
    if (f === 'tamper') body = Buffer.concat([body.subarray(0, body.length - 1), Buffer.from([body[body.length - 1] ^ 1])]);
    res.writeHead(200, { 'content-length': body.length });
    if (f === 'drop') return void res.write(body.subarray(0, body.length >> 1), () => res.destroy());
    if (f === 'slow') {
      res.write(body.subarray(0, 1024));
      return; // never finishes: the test interrupts mesh
    }
    res.end(body);
  });
  return new Promise<{ url: string; requests: string[]; close: () => void }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
        requests,
        close: () => (server.closeAllConnections(), server.close()),
      }),
    ),
  );
}

const serve = (archive: Buffer, sumOf: Buffer = archive) =>
  new Map([
    [`/${VERSION}/${NAME}`, archive],
    [`/${VERSION}/${NAME}.sha256`, Buffer.from(`${createHash('sha256').update(sumOf).digest('hex')}  ${NAME}\n`)],
  ]);

/** The testbed's kubectl and helm, but no istioctl: what mesh runs of Istio comes from the cache. */
const toolsWithoutIstioctl = join(work, 'bin');
/** mesh with the test's cache and no istioctl on the PATH. */
const meshCached = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<MeshResult> =>
  mesh(args, { env: { MESH_CACHE: cache, PATH: `${toolsWithoutIstioctl}:/usr/bin:/bin`, ...env } });

const cacheEntries = () => (existsSync(join(cache, 'istio')) ? readdirSync(join(cache, 'istio')).sort() : []);

let good: Buffer;
beforeAll(() => {
  resetTestbed();
  mkdirSync(toolsWithoutIstioctl);
  for (const tool of ['kubectl', 'helm']) symlinkSync(join(testbedPaths().MESH_TESTBED_BIN, tool), join(toolsWithoutIstioctl, tool));
  good = releaseArchive('good');
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(() => rmSync(cache, { recursive: true, force: true }));

describe('mesh istio fetch', () => {
  it('verifies, unpacks and uses a release; install and verify then run its istioctl with none on the PATH', async () => {
    const mirror = await startMirror(serve(good), () => 'none');
    try {
      const r = await meshCached(['istio', 'fetch', VERSION, '--mirror', mirror.url]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`verified sha256 ${createHash('sha256').update(good).digest('hex')}`);
      expect(cacheEntries()).toEqual([VERSION, 'current']);
      const list = JSON.parse((await meshCached(['istio', 'list', '-o', 'json'])).stdout);
      expect(list).toMatchObject({ schemaVersion: 1, inUse: VERSION, releases: [{ version: VERSION, inUse: true }] });
      // a second fetch is a no-op
      const again = await meshCached(['istio', 'fetch', VERSION, '--mirror', mirror.url]);
      expect(again.stderr).toContain('already in');
      expect(mirror.requests.filter((p) => p.endsWith('.tar.gz'))).toHaveLength(1);
    } finally {
      mirror.close();
    }
    // no istioctl on the PATH: install needs the cached one (its kubectl-free istioctl talks to the testbed)
    const install = await meshCached(['--kubeconfig', kubeconfig(), 'install', '--profile', 'minimal', '-y']);
    expect(install.code, install.stderr).toBe(0);
    const verify = await meshCached(['--kubeconfig', kubeconfig(), 'verify', '-o', 'json']);
    expect(verify.code, verify.stdout).toBe(0);
    // istioctl analyze ran: the cached istioctl, as none is on the PATH
    const checks = (
      JSON.parse(verify.stdout) as { categories: Array<{ checks: Array<{ id: string; status: string }> }> }
    ).categories.flatMap((c) => c.checks);
    expect(checks.find((c) => c.id === 'config-analyze')?.status).toMatch(/^(ok|warn)$/);
    const uninstall = await meshCached(['--kubeconfig', kubeconfig(), 'uninstall', '--purge', '-y']);
    expect(uninstall.code, uninstall.stderr).toBe(0);
  });

  it("the helm backend installs the cached release's charts offline; a control plane 3 minors from istioctl and the charts is warned about", async () => {
    const mirror = await startMirror(serve(good), () => 'none');
    try {
      expect((await meshCached(['istio', 'fetch', VERSION, '--mirror', mirror.url])).code).toBe(0);
    } finally {
      mirror.close();
    }
    const charts = join(cache, 'istio', VERSION, 'manifests', 'charts');
    // istiod's image says 1.28.0: the version verify and preflight read is the one the cluster runs
    const args = [
      '--kubeconfig',
      kubeconfig(),
      'install',
      '--backend',
      'helm',
      '--profile',
      'minimal',
      '--set',
      'values.global.tag=1.28.0',
    ];
    const plan = JSON.parse((await meshCached([...args, '--dry-run', '-o', 'json'])).stdout) as { steps: Array<{ argv?: string[] }> };
    expect(plan.steps.flatMap((s) => s.argv ?? []).filter((a) => a.startsWith(charts))).toEqual([
      join(charts, 'base'),
      join(charts, 'istio-control', 'istio-discovery'),
    ]);
    const install = await meshCached([...args, '-y']);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/minors apart/);

    const verify = await meshCached(['--kubeconfig', kubeconfig(), 'verify', '-o', 'json']);
    const checks = (
      JSON.parse(verify.stdout) as { categories: Array<{ checks: Array<{ id: string; status: string; message: string }> }> }
    ).categories.flatMap((c) => c.checks);
    expect(checks.find((c) => c.id === 'config-istioctl-version')).toMatchObject({
      status: 'warn',
      message: `istioctl ${VERSION} and control plane 1.28.0 are 3 minors apart (Istio supports one)`,
    });
    expect(verify.code, verify.stdout).toBe(0); // a warning, not a failure (--strict would fail)

    const again = await meshCached([...args, '-y']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`warning: charts ${VERSION} and control plane 1.28.0 are 3 minors apart (Istio supports one)`);
    expect((await meshCached(['--kubeconfig', kubeconfig(), 'uninstall', '--purge', '-y'])).code).toBe(0);
  });

  it('latest: the highest release the mirror lists', async () => {
    const mirror = await startMirror(serve(good), () => 'none');
    try {
      const r = await meshCached(['istio', 'fetch', 'latest', '--no-use'], { MESH_ISTIO_MIRROR: mirror.url });
      expect(r.code, r.stderr).toBe(0);
      expect(cacheEntries()).toEqual([VERSION]);
    } finally {
      mirror.close();
    }
  });

  it('a tampered archive is refused: exit 3, nothing left in the cache', async () => {
    const mirror = await startMirror(serve(good), () => 'tamper');
    try {
      const r = await meshCached(['istio', 'fetch', VERSION, '--mirror', mirror.url]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(
        /^Error: checksum mismatch for http:\S+: sha256 [0-9a-f]{64}, the \.sha256 file says [0-9a-f]{64}; the download was deleted$/m,
      );
      expect(cacheEntries()).toEqual([]);
    } finally {
      mirror.close();
    }
  });

  it('an archive with an entry outside its directory is refused before unpacking', async () => {
    const evil = releaseArchive('evil', (top) => {
      writeFileSync(join(top, '..', 'evil.sh'), 'echo pwned\n');
      return ['-P', '--transform', `s,^evil\\.sh,istio-${VERSION}/../../evil.sh,`, 'evil.sh'];
    });
    const mirror = await startMirror(serve(evil), () => 'none');
    try {
      const r = await meshCached(['istio', 'fetch', VERSION, '--mirror', mirror.url]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/Error: refusing to unpack \S+: istio-1\.31\.0\/\.\.\/\.\.\/evil\.sh: path leaves the archive/);
      expect(cacheEntries()).toEqual([]);
      expect(existsSync(join(cache, 'evil.sh'))).toBe(false);
    } finally {
      mirror.close();
    }
  });

  it('a server dropping the connection mid-download: retried, then reported (exit 4), nothing left', async () => {
    const mirror = await startMirror(serve(good), () => 'drop');
    try {
      const r = await meshCached(['istio', 'fetch', VERSION, '--mirror', mirror.url]);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toMatch(/^Error: cannot download \S+\.tar\.gz: .* \(after 4 attempts\)$/m);
      expect(mirror.requests.filter((p) => p.endsWith('.tar.gz'))).toHaveLength(4);
      expect(cacheEntries()).toEqual([]);
    } finally {
      mirror.close();
    }
  });

  it('an unknown version: exit 2 naming it', async () => {
    const mirror = await startMirror(serve(good), () => 'none');
    try {
      const r = await meshCached(['istio', 'fetch', '1.99.0', '--mirror', mirror.url]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^Error: Istio 1\.99\.0 not found: \S+1\.99\.0\/istio-1\.99\.0-\S+\.tar\.gz\.sha256 is 404$/m);
    } finally {
      mirror.close();
    }
  });

  it('Ctrl-C during the download leaves no partial file and no half-unpacked version', async () => {
    const mirror = await startMirror(serve(good), () => 'slow');
    try {
      const child = spawn(process.execPath, [meshBin, 'istio', 'fetch', VERSION, '--mirror', mirror.url], {
        env: { ...process.env, MESH_CACHE: cache, CI: 'true' },
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      await expect.poll(() => cacheEntries().some((n) => n.startsWith('.download-')), { timeout: 20_000 }).toBe(true);
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code, stderr).toBe(130);
      expect(cacheEntries()).toEqual([]);
    } finally {
      mirror.close();
    }
  });

  it('use and remove: a version not cached is a usage error with the fetch to run', async () => {
    const r = await meshCached(['istio', 'use', '1.30.0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Error: Istio 1\.30\.0 is not in the cache .*\nhint: mesh istio fetch 1\.30\.0/);
    const bad = await meshCached(['istio', 'remove', '../../etc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not an Istio release version/);
    const install = await meshCached(['install', '--profile', 'minimal', '--istio-version', '1.30.0', '--dry-run']);
    expect(install.code).toBe(2);
    expect(install.stderr).toMatch(/--istio-version 1\.30\.0: not in the cache/);
  });
});
