import { usageError } from '../errors.js';

/** Where Istio publishes its releases; `--mirror`/MESH_ISTIO_MIRROR replace it with the same layout. */
export const ISTIO_DOWNLOADS = 'https://github.com/istio/istio/releases/download';

/** The platform part of Istio's archive names: linux-amd64, linux-arm64, osx, osx-arm64. */
export function istioPlatform(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  const cpu = arch === 'x64' ? 'amd64' : arch === 'arm64' ? 'arm64' : undefined;
  if (platform === 'linux' && cpu) return `linux-${cpu}`;
  if (platform === 'darwin' && cpu) return cpu === 'amd64' ? 'osx' : 'osx-arm64';
  throw usageError(
    `no Istio release archive for ${platform}/${arch}`,
    'Istio publishes tar.gz archives for linux and macOS on amd64 and arm64',
  );
}

/** `<base>/<version>/istio-<version>-<platform>.tar.gz`, the layout of Istio's release downloads. */
export function archiveUrl(base: string, version: string, platform: string): URL {
  const root = base.endsWith('/') ? base : `${base}/`;
  return new URL(`${version}/istio-${version}-${platform}.tar.gz`, root);
}

/** Reads the hex digest from a `.sha256` file (`<hex>  <name>`, or the bare digest). */
export function parseSha256File(text: string, url: string): string {
  const hex = /^\s*([0-9a-fA-F]{64})\b/.exec(text)?.[1];
  if (!hex) throw usageError(`${url}: not a sha256 checksum file`, 'check the mirror serves Istio release .sha256 files');
  return hex.toLowerCase();
}

/** The highest stable release linked from a mirror's directory listing (`href="1.31.0/"`). */
export function latestFromListing(html: string): string | undefined {
  const versions = [...html.matchAll(/href="(?:[^"]*\/)?(\d+\.\d+\.\d+)\/?"/g)].map((m) => m[1]);
  const key = (v: string) => v.split('.').map(Number);
  return versions
    .sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
    })
    .at(-1);
}
