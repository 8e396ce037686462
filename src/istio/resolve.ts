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
 * `--chart-version` or `--chart-repo` asks for a chart repository), else none (the chart repository).
 */
export function resolveChartsDir(
  options: { backend: string; charts?: string; chartVersion?: string; chartRepo?: string },
  release: CachedRelease | undefined,
): string | undefined {
  if (options.backend === 'istioctl' && (options.charts || options.chartVersion || options.chartRepo))
    throw usageError('--charts/--chart-version/--chart-repo apply to the helm backend only', 'add --backend helm, or drop the flag');
  if (options.chartRepo !== undefined) checkChartRepo(options.chartRepo, options.charts);
  if (!options.charts) return options.backend === 'helm' && !options.chartVersion && !options.chartRepo ? release?.charts : undefined;
  const chartsDir = resolve(options.charts);
  if (!existsSync(chartsDir) || !statSync(chartsDir).isDirectory() || !existsSync(resolve(chartsDir, 'base/Chart.yaml')))
    throw usageError(
      `--charts ${options.charts}: not a directory holding Istio's charts (base/Chart.yaml missing)`,
      "point it at Istio's manifests/charts directory",
    );
  return chartsDir;
}

/** --chart-repo is what helm's --repo takes: an http(s) URL; and it names where charts come from, as --charts does. */
function checkChartRepo(url: string, charts: string | undefined): void {
  if (charts) throw usageError('--charts and --chart-repo both name where the charts come from', 'pass one of them');
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    /* not a URL at all */
  }
  if (protocol !== 'http:' && protocol !== 'https:')
    throw usageError(
      `--chart-repo ${url}: not an http(s) URL`,
      "pass the chart repository's URL, e.g. https://istio-release.storage.googleapis.com/charts",
    );
}
