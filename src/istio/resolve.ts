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
