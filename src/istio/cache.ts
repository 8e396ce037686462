import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { usageError } from '../errors.js';

/**
 * The cache of Istio releases mesh fetched: `<cache>/istio/<version>/` (bin/istioctl,
 * manifests/charts, samples/) and `<cache>/istio/current` naming the one in use. `<cache>` is
 * $MESH_CACHE, else $XDG_CACHE_HOME/mesh, else ~/.cache/mesh (the testbed builds there too).
 */
export function meshCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MESH_CACHE) return env.MESH_CACHE;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'mesh');
  return join(homedir(), '.cache', 'mesh');
}

export const istioCacheDir = (env: NodeJS.ProcessEnv = process.env) => join(meshCacheDir(env), 'istio');

/** Istio release versions as its downloads name them: 1.31.0, 1.31.0-beta.1 (never a path). */
const VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/;

export function checkIstioVersion(version: string, flag: string): string {
  const v = version.replace(/^v/, '');
  if (!VERSION.test(v)) throw usageError(`${flag} ${version}: not an Istio release version`, 'give one like 1.31.0');
  return v;
}

export interface CachedRelease {
  version: string;
  dir: string;
  istioctl: string;
  charts: string;
  samples: string;
  inUse: boolean;
}

export function releaseAt(dir: string, version: string, inUse = false): CachedRelease {
  return {
    version,
    dir,
    istioctl: join(dir, 'bin', 'istioctl'),
    charts: join(dir, 'manifests', 'charts'),
    samples: join(dir, 'samples'),
    inUse,
  };
}

/** Compares release versions numerically (1.9.0 < 1.10.0); a pre-release sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core, pre] = v.split('-', 2);
    return { nums: core.split('.').map(Number), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) if (x.nums[i] !== y.nums[i]) return x.nums[i] - y.nums[i];
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}

export function currentVersion(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = join(istioCacheDir(env), 'current');
  if (!existsSync(file)) return undefined;
  const v = readFileSync(file, 'utf8').trim();
  return VERSION.test(v) && existsSync(join(istioCacheDir(env), v)) ? v : undefined;
}

/** Cached releases, oldest first (partial downloads and unpacks, dot-named, are not releases). */
export function listReleases(env: NodeJS.ProcessEnv = process.env): CachedRelease[] {
  const root = istioCacheDir(env);
  if (!existsSync(root)) return [];
  const current = currentVersion(env);
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && VERSION.test(d.name))
    .map((d) => d.name)
    .sort(compareVersions)
    .map((v) => releaseAt(join(root, v), v, v === current));
}

export function cachedRelease(version: string, env: NodeJS.ProcessEnv = process.env): CachedRelease | undefined {
  return listReleases(env).find((r) => r.version === version);
}

/** Marks a cached release as the one in use (written to a temp file, then renamed). */
export function useRelease(version: string, env: NodeJS.ProcessEnv = process.env): void {
  const root = istioCacheDir(env);
  mkdirSync(root, { recursive: true });
  const tmp = join(root, `.current-${process.pid}`);
  writeFileSync(tmp, `${version}\n`, { mode: 0o600 });
  renameSync(tmp, join(root, 'current'));
}

export function removeRelease(version: string, env: NodeJS.ProcessEnv = process.env): void {
  const root = istioCacheDir(env);
  if (currentVersion(env) === version) rmSync(join(root, 'current'), { force: true });
  rmSync(join(root, version), { recursive: true, force: true });
}
