import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charts, difference, helm, meshOn, resetTestbed, snapshot } from './helpers.js';
import { toolPath } from '../helpers/testbed.js';

/**
 * The helm backend with a chart repository (`--chart-repo`, a mirror): a chart repository served
 * here over HTTP, made with `helm package` and `helm repo index` from the Istio release's charts,
 * counting what helm downloads. Before this, the values check (`helm template`) and the apply
 * (`helm upgrade`) each downloaded the repository's index and every chart.
 */
beforeAll(resetTestbed, 120_000);

const dir = mkdtempSync(join(tmpdir(), 'mesh-chart-repo-'));
const repoDir = join(dir, 'repo');
const requests: string[] = [];
let server: http.Server;
let url = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const file = join(repoDir, path);
    if (!path.includes('..') && existsSync(file)) createReadStream(file).pipe(res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mkdirSync(repoDir);
  const chartDirs = ['base', 'istio-control/istio-discovery'].map((c) => join(charts(), c));
  execFileSync(toolPath('helm'), ['package', ...chartDirs, '--version', '1.31.0', '--app-version', '1.31.0', '-d', repoDir]);
  execFileSync(toolPath('helm'), ['repo', 'index', repoDir, '--url', url]);
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** mesh with a cache of its own, so that no render helm accepted in another test is remembered. */
const meshWithCache = (args: string[], cache: string) => meshOn(args, { MESH_CACHE: cache, NO_PROXY: '127.0.0.1' });
const count = (path: string) => requests.filter((r) => r === path).length;

describe('install --backend helm --chart-repo', () => {
  it('downloads each chart once: the values check renders the archive the apply installs; a re-run downloads as bare helm does', async () => {
    const cache = join(dir, 'cache');
    const args = ['install', '--profile', 'minimal', '--backend', 'helm', '--chart-repo', url, '--chart-version', '1.31.0', '-y'];
    requests.length = 0;
    const first = await meshWithCache([...args, '--verbose'], cache);
    expect(first.code, first.stderr).toBe(0);
    // helm pull of each chart (its index and its archive), then nothing more: template and upgrade read the archive.
    expect(count('/base-1.31.0.tgz')).toBe(1);
    expect(count('/istiod-1.31.0.tgz')).toBe(1);
    expect(count('/index.yaml')).toBe(2);
    expect(first.stderr).toMatch(
      /\$ \S*helm upgrade --install istio-base \S+\/charts\/istio-base\/base-1\.31\.0\.tgz --namespace istio-system/,
    );
    const releases = JSON.parse(await helm('list', '-A', '-o', 'json')) as Array<{ name: string; chart: string }>;
    expect(releases.map((r) => `${r.name} ${r.chart}`).sort()).toEqual(['istio-base base-1.31.0', 'istiod istiod-1.31.0']);
    // The record names the repository, not the run's private archive (gone with the run).
    const status = await meshWithCache(['status', '-o', 'json'], cache);
    expect(status.stdout).toContain(url);
    expect(status.stdout).not.toMatch(/mesh-run-/);

    // A re-run: helm's renders are remembered (pinned version), so only helm upgrade downloads, once per chart.
    requests.length = 0;
    const again = await meshWithCache(args, cache);
    expect(again.code, again.stderr).toBe(0);
    expect([count('/base-1.31.0.tgz'), count('/istiod-1.31.0.tgz'), count('/index.yaml')]).toEqual([1, 1, 2]);
    expect((await meshWithCache(['uninstall', '--purge', '-y'], cache)).code).toBe(0);
  });

  it('a chart version the repository lacks is exit 2 in its words, a repository out of reach exit 3, before any change; a bad URL is exit 2 before helm runs', async () => {
    const before = await snapshot();
    const cache = join(dir, 'cache-missing');
    const missing = await meshWithCache(
      ['install', '--profile', 'minimal', '--backend', 'helm', '--chart-repo', url, '--chart-version', '9.9.9', '-y'],
      cache,
    );
    expect(missing.code, missing.stderr).toBe(2);
    expect(missing.stderr).toContain(
      `Error: helm cannot download chart base version 9.9.9 from ${url} for release istio-base: ` +
        `chart "base" version "9.9.9" not found in ${url} repository\nhint: check --chart-version and --chart-repo`,
    );
    // diff renders with helm template, which downloads: the same words and exit code.
    const diff = await meshWithCache(
      ['diff', '--profile', 'minimal', '--backend', 'helm', '--chart-repo', url, '--chart-version', '9.9.9'],
      cache,
    );
    expect(diff.code, diff.stderr).toBe(2);
    expect(diff.stderr).toContain(`Error: helm cannot download chart base version 9.9.9 from ${url} for release istio-base: `);
    // Nothing listens on port 9: the repository cannot be reached, a preflight failure (exit 3), not bad input.
    const unreachable = await meshWithCache(
      [
        'install',
        '--profile',
        'minimal',
        '--backend',
        'helm',
        '--chart-repo',
        'http://127.0.0.1:9/charts',
        '--chart-version',
        '1.31.0',
        '-y',
      ],
      cache,
    );
    expect(unreachable.code, unreachable.stderr).toBe(3);
    expect(unreachable.stderr).toMatch(
      /^Error: helm cannot download chart base version 1\.31\.0 from http:\/\/127\.0\.0\.1:9\/charts for release istio-base: .*\nhint: check that the chart repository is reachable/m,
    );
    for (const [flags, message] of [
      [['--chart-repo', 'ftp://example.com/charts'], 'Error: --chart-repo ftp://example.com/charts: not an http(s) URL\n'],
      [['--chart-repo', url, '--charts', charts()], 'Error: --charts and --chart-repo both name where the charts come from\n'],
      [['--backend', 'istioctl', '--chart-repo', url], 'Error: --charts/--chart-version/--chart-repo apply to the helm backend only\n'],
    ]) {
      const bad = await meshWithCache(['install', '--profile', 'minimal', '--backend', 'helm', ...flags, '-y'], cache);
      expect(bad.code, bad.stderr).toBe(2);
      expect(bad.stderr).toContain(message);
    }
    expect(difference(await snapshot(), before)).toEqual([]);
    expect(difference(before, await snapshot())).toEqual([]);
  });
});
