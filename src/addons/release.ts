import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { usageError } from '../errors.js';
import { resolveIstioRelease } from '../istio/resolve.js';
import { ADDON_FILES } from './names.js';

/** The Istio release directory addons and samples come from, and its version when it says one. */
export interface ReleaseDir {
  dir: string;
  /** `1.31.0` from a release's manifest.yaml, `1.31` from a source tree's VERSION; undefined when neither says. */
  version?: string;
}

/**
 * `--istio-dir`, else the cached release `--istio-version` names, else the release in use (`mesh
 * istio use`). mesh never falls back to copies of its own: no directory is a usage error.
 */
export function findReleaseDir(options: { istioDir?: string; istioVersion?: string }): ReleaseDir {
  if (options.istioDir) {
    const dir = resolve(options.istioDir);
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw usageError(
        `--istio-dir ${options.istioDir}: not a directory`,
        'give an unpacked Istio release (it has samples/ and manifests/)',
      );
    return { dir, version: releaseVersion(dir) };
  }
  const { release } = resolveIstioRelease({ istioVersion: options.istioVersion });
  if (!release)
    throw usageError(
      'no Istio release directory: addons and samples come from the release matching your Istio',
      'pass --istio-dir <unpacked release>, or `mesh istio fetch <version>` once',
    );
  return { dir: release.dir, version: release.version };
}

function releaseVersion(dir: string): string | undefined {
  const manifest = join(dir, 'manifest.yaml');
  if (existsSync(manifest)) {
    const version = /^version:\s*["']?([\w.+-]+)/m.exec(readFileSync(manifest, 'utf8'))?.[1];
    if (version) return version;
  }
  const file = join(dir, 'VERSION');
  if (existsSync(file)) return /^\s*(\d+\.\d+(?:\.\d+)?)/.exec(readFileSync(file, 'utf8'))?.[1];
  return undefined;
}

/** An addon's manifest in the release; a release without it is named with what is missing. */
export function readAddonManifest(release: ReleaseDir, name: string): { source: string; text: string } {
  const source = join(release.dir, ADDON_FILES[name]);
  if (!existsSync(source))
    throw usageError(
      `addon ${name}: ${ADDON_FILES[name]} is not in ${release.dir}`,
      'give the directory of an unpacked Istio release (--istio-dir), which has samples/addons',
    );
  return { source, text: readFileSync(source, 'utf8') };
}
