import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { usageError } from '../errors.js';
import { cachedRelease, checkIstioVersion, currentVersion, istioCacheDir, type CachedRelease } from './cache.js';

/**
 * Which istioctl (and, for the helm backend, which charts) a command runs: what the flags name,
 * else the cached release `--istio-version` names, else the release in use (`mesh istio use`),
 * else istioctl on the PATH and Istio's chart repository.
 */
export function resolveIstioRelease(options: { istioctl?: string; istioVersion?: string }): { istioctl: string; release?: CachedRelease } {
  let release: CachedRelease | undefined;
  if (options.istioVersion) {
    const version = checkIstioVersion(options.istioVersion, '--istio-version');
    release = cachedRelease(version);
    if (!release) throw usageError(`--istio-version ${version}: not in the cache (${istioCacheDir()})`, `mesh istio fetch ${version}`);
  } else {
    const current = currentVersion();
    release = current ? cachedRelease(current) : undefined;
  }
  return { istioctl: options.istioctl ?? release?.istioctl ?? 'istioctl', release };
}

/**
 * The charts the helm backend installs: `--charts`, else the cached release's (unless
 * `--chart-version` asks for the chart repository), else none (the chart repository).
 */
export function resolveChartsDir(
  options: { backend: string; charts?: string; chartVersion?: string },
  release: CachedRelease | undefined,
): string | undefined {
  if (options.backend === 'istioctl' && (options.charts || options.chartVersion))
    throw usageError('--charts/--chart-version apply to the helm backend only', 'add --backend helm, or drop the flag');
  if (!options.charts) return options.backend === 'helm' && !options.chartVersion ? release?.charts : undefined;
  const chartsDir = resolve(options.charts);
  if (!existsSync(chartsDir) || !statSync(chartsDir).isDirectory() || !existsSync(resolve(chartsDir, 'base/Chart.yaml')))
    throw usageError(
      `--charts ${options.charts}: not a directory holding Istio's charts (base/Chart.yaml missing)`,
      "point it at Istio's manifests/charts directory",
    );
  return chartsDir;
}
