import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkOutput, type GlobalOptions } from '../../cli/options.js';
import { onInterrupt } from '../../adapters/cleanup.js';
import { CliError, ExitCode, preflightError, usageError } from '../../errors.js';
import { listArchive, unpackArchive, unsafeArchive, unsafeEntry } from '../../istio/archive.js';
import {
  cachedRelease,
  checkIstioVersion,
  currentVersion,
  istioCacheDir,
  listReleases,
  releaseAt,
  removeRelease,
  useRelease,
} from '../../istio/cache.js';
import { downloadVerified, fetchText } from '../../istio/download.js';
import { ISTIO_DOWNLOADS, archiveUrl, istioPlatform, latestFromListing, parseSha256File } from '../../istio/release-url.js';

interface FetchOptions {
  mirror?: string;
  use: boolean;
}

const say = (line: string) => process.stderr.write(`${line}\n`);

async function resolveLatest(base: string, custom: boolean): Promise<string> {
  if (!custom) {
    const text = await fetchText(new URL('https://api.github.com/repos/istio/istio/releases/latest'));
    const tag = text ? (JSON.parse(text) as { tag_name?: string }).tag_name : undefined;
    if (tag) return checkIstioVersion(tag, 'latest');
  } else {
    const version = latestFromListing((await fetchText(new URL(base.endsWith('/') ? base : `${base}/`))) ?? '');
    if (version) return version;
  }
  throw usageError(`cannot tell the latest Istio release from ${base}`, 'name the version: mesh istio fetch 1.31.0');
}

export async function fetchIstio(globals: GlobalOptions, versionArg: string, options: FetchOptions): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'istio fetch');
  const mirror = options.mirror ?? process.env.MESH_ISTIO_MIRROR;
  const base = mirror ?? ISTIO_DOWNLOADS;
  if (mirror && !/^https?:\/\//.test(mirror))
    throw usageError(`--mirror ${mirror}: not an http(s) URL`, 'give the base URL, e.g. https://mirror.example.com/istio');
  const platform = istioPlatform();
  const version = versionArg === 'latest' ? await resolveLatest(base, mirror !== undefined) : checkIstioVersion(versionArg, 'version');
  const root = istioCacheDir();
  let release = cachedRelease(version);
  if (release) {
    say(`Istio ${version} is already in ${release.dir}`);
  } else {
    const url = archiveUrl(base, version, platform);
    const sumText = await fetchText(new URL(`${url.href}.sha256`));
    if (sumText === undefined)
      throw new CliError(`Istio ${version} not found: ${url.href}.sha256 is 404`, ExitCode.usage, `check the version (releases: ${base})`);
    const sha256 = parseSha256File(sumText, `${url.href}.sha256`);
    mkdirSync(root, { recursive: true, mode: 0o700 });
    // Partial files are dot-named beside the cache entries, so a rename publishes a release whole.
    const partial = join(root, `.download-${version}-${process.pid}.tar.gz`);
    const unpacking = join(root, `.unpack-${version}-${process.pid}`);
    const cleanup = () => {
      rmSync(partial, { force: true });
      rmSync(unpacking, { recursive: true, force: true });
    };
    const unregister = onInterrupt(cleanup);
    try {
      say(`downloading ${url.href}`);
      await downloadVerified(url, partial, sha256, { progress: progressReporter() });
      const why = unsafeEntry(await listArchive(partial));
      if (why) throw unsafeArchive(url.href, why);
      mkdirSync(unpacking, { mode: 0o700 });
      await unpackArchive(partial, unpacking);
      if (!existsSync(join(unpacking, 'bin', 'istioctl')))
        throw preflightError(`${url.href}: no bin/istioctl in the archive`, 'this is not an Istio release archive; check the mirror');
      renameSync(unpacking, join(root, version));
      say(`verified sha256 ${sha256} and unpacked Istio ${version} into ${join(root, version)}`);
    } finally {
      cleanup();
      unregister();
    }
    release = releaseAt(join(root, version), version);
  }
  if (options.use) {
    useRelease(version);
    release.inUse = true;
    say(`Istio ${version} is in use (mesh runs its istioctl and charts unless --istioctl/--charts say otherwise)`);
  }
  if (output === 'json') process.stdout.write(`${JSON.stringify({ schemaVersion: 1, release }, null, 2)}\n`);
  return ExitCode.ok;
}

/** Bytes on a terminal (one line rewritten); otherwise a plain line every 25%. */
function progressReporter() {
  const tty = process.stderr.isTTY && !process.env.CI;
  let lastQuarter = 0;
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  return (received: number, total: number | undefined) => {
    if (tty) {
      const pct = total ? ` (${Math.floor((received / total) * 100)}%)` : '';
      process.stderr.write(`\r  ${mib(received)}${total ? ` of ${mib(total)}` : ''}${pct}   ${received === total ? '\n' : ''}`);
    } else if (total) {
      const quarter = Math.floor((received / total) * 4);
      if (quarter > lastQuarter) {
        lastQuarter = quarter;
        say(`  ${mib(received)} of ${mib(total)} (${quarter * 25}%)`);
      }
    }
  };
}

export async function listIstio(globals: GlobalOptions): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'istio list');
  const releases = listReleases();
  if (output === 'json') {
    process.stdout.write(
      `${JSON.stringify({ schemaVersion: 1, cache: istioCacheDir(), inUse: currentVersion() ?? null, releases }, null, 2)}\n`,
    );
  } else if (releases.length === 0) {
    process.stdout.write(`no Istio release in ${istioCacheDir()} (mesh istio fetch <version>)\n`);
  } else {
    for (const r of releases) process.stdout.write(`${r.inUse ? '*' : ' '} ${r.version}\t${r.dir}\n`);
  }
  return ExitCode.ok;
}

function cachedOrFail(versionArg: string) {
  const version = checkIstioVersion(versionArg, 'version');
  const release = cachedRelease(version);
  if (!release) throw usageError(`Istio ${version} is not in the cache (${istioCacheDir()})`, `mesh istio fetch ${version}`);
  return release;
}

export async function useIstio(_: GlobalOptions, versionArg: string): Promise<number> {
  const release = cachedOrFail(versionArg);
  useRelease(release.version);
  say(`Istio ${release.version} is in use`);
  return ExitCode.ok;
}

export async function removeIstio(_: GlobalOptions, versionArg: string): Promise<number> {
  const release = cachedOrFail(versionArg);
  removeRelease(release.version);
  say(`removed Istio ${release.version}${release.inUse ? ' (it was in use: none is now)' : ''}`);
  return ExitCode.ok;
}
