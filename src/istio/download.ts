import { createHash } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CliError, ExitCode, preflightError, unreachableError } from '../errors.js';

/** Transient failures (a dropped connection, a 5xx) are retried after these delays. */
export const DOWNLOAD_RETRY_DELAYS_MS = [500, 1000, 2000];

export interface Progress {
  (received: number, total: number | undefined): void;
}

class NotFound extends Error {}
class Transient extends Error {}

/** GET through undici, which honours HTTP_PROXY/HTTPS_PROXY/NO_PROXY (Node's own fetch does not by default). */
async function get(url: URL, signal?: AbortSignal) {
  // undici is CommonJS: its module.exports is the default export, in Node and in the bundle alike.
  const { fetch, EnvHttpProxyAgent } = (await import('undici')).default;
  let res;
  try {
    res = await fetch(url, { dispatcher: new EnvHttpProxyAgent(), signal, redirect: 'follow' });
  } catch (error) {
    // undici reports a network failure as TypeError('fetch failed') with the socket error as cause
    const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
    if (!cause) throw error;
    throw new Transient(cause.code ?? cause.message);
  }
  if (res.status === 404) throw new NotFound(`${url.href}: 404 Not Found`);
  if (res.status >= 500 || res.status === 429) throw new Transient(`${url.href}: ${res.status} ${res.statusText}`);
  if (!res.ok) throw new CliError(`${url.href}: ${res.status} ${res.statusText}`, ExitCode.unreachable, 'check the URL and the mirror');
  return res;
}

async function withRetries<T>(what: string, attempt: () => Promise<T>, sleep: (ms: number) => Promise<void>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof Transient)) throw error;
      if (i >= DOWNLOAD_RETRY_DELAYS_MS.length)
        throw unreachableError(
          `cannot download ${what}: ${error.message} (after ${i + 1} attempts)`,
          'check the network (HTTPS_PROXY is honoured), or point --mirror at a reachable copy',
        );
      await sleep(DOWNLOAD_RETRY_DELAYS_MS[i]);
    }
  }
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A small text file (a checksum, a listing); `undefined` on 404. */
export async function fetchText(url: URL, signal?: AbortSignal, sleep = realSleep): Promise<string | undefined> {
  return withRetries(
    url.href,
    async () => {
      try {
        return await (await get(url, signal)).text();
      } catch (error) {
        if (error instanceof NotFound) return undefined;
        throw error;
      }
    },
    sleep,
  );
}

/**
 * Downloads `url` into `dest` (0600) and checks its sha256 as it streams. A mismatch deletes the
 * file and exits 3; a dropped connection starts over (bounded); dest is removed on any failure.
 */
export async function downloadVerified(
  url: URL,
  dest: string,
  sha256: string,
  options: { progress?: Progress; signal?: AbortSignal; sleep?: (ms: number) => Promise<void> } = {},
): Promise<void> {
  try {
    await withRetries(
      url.href,
      async () => {
        const res = await get(url, options.signal);
        if (!res.body) throw new Transient('empty response');
        const total = Number(res.headers.get('content-length')) || undefined;
        const hash = createHash('sha256');
        let received = 0;
        const body = Readable.fromWeb(res.body as never);
        body.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          received += chunk.length;
          options.progress?.(received, total);
        });
        try {
          await pipeline(body, createWriteStream(dest, { mode: 0o600 }));
        } catch (error) {
          if ((error as Error).name === 'AbortError') throw error;
          throw new Transient(
            `connection dropped after ${received} bytes (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
          );
        }
        if (total !== undefined && received !== total) throw new Transient(`got ${received} of ${total} bytes`);
        const got = hash.digest('hex');
        if (got !== sha256)
          throw preflightError(
            `checksum mismatch for ${url.href}: sha256 ${got}, the .sha256 file says ${sha256}; the download was deleted`,
            'the archive or the mirror was tampered with or corrupted: do not use it',
          );
      },
      options.sleep ?? realSleep,
    );
  } catch (error) {
    rmSync(dest, { force: true });
    if (error instanceof NotFound) throw new CliError(error.message, ExitCode.usage, 'check the version and the mirror');
    throw error;
  }
}
