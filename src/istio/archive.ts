import { posix } from 'node:path';
import { preflightError } from '../errors.js';

export interface ArchiveEntry {
  path: string;
  type: string;
  linkpath?: string;
}

const SAFE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

/**
 * Why an archive may not be unpacked, or undefined when every entry stays inside one top-level
 * directory: no absolute paths, no `..`, no links pointing out, no devices or FIFOs. (node-tar
 * would strip such paths and go on; a release archive that has them is not one to trust.)
 */
export function unsafeEntry(entries: ArchiveEntry[]): string | undefined {
  const tops = new Set<string>();
  for (const e of entries) {
    const path = e.path.replace(/\/+$/, '');
    if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return `${e.path}: absolute path`;
    if (path.split('/').includes('..')) return `${e.path}: path leaves the archive (..)`;
    if (!SAFE_TYPES.has(e.type)) return `${e.path}: ${e.type} entry`;
    const top = path.split('/')[0];
    if (top) tops.add(top);
    if (e.type === 'SymbolicLink' || e.type === 'Link') {
      const target = e.linkpath ?? '';
      if (target.startsWith('/')) return `${e.path}: link to an absolute path (${target})`;
      // a symlink resolves from its own directory, a hard link from the archive's root
      const resolved = posix.normalize(e.type === 'SymbolicLink' ? posix.join(posix.dirname(path), target) : target);
      if (resolved === '..' || resolved.startsWith('../') || resolved.split('/')[0] !== top)
        return `${e.path}: link pointing outside the release (${target})`;
    }
  }
  if (tops.size !== 1) return `expected one top-level directory (istio-<version>/), found ${tops.size}`;
  return undefined;
}

export const unsafeArchive = (url: string, why: string) =>
  preflightError(`refusing to unpack ${url}: ${why}`, 'this is not an Istio release archive as Istio publishes them; check the mirror');

/** Lists a .tar.gz without unpacking it. */
export async function listArchive(file: string): Promise<ArchiveEntry[]> {
  const tar = await import('tar');
  const entries: ArchiveEntry[] = [];
  await tar.t({
    file,
    strict: true,
    onReadEntry: (e) => void entries.push({ path: e.path, type: e.type, linkpath: e.linkpath }),
  });
  return entries;
}

/** Unpacks into `dir`, dropping the top-level `istio-<version>/` directory. */
export async function unpackArchive(file: string, dir: string): Promise<void> {
  const tar = await import('tar');
  await tar.x({ file, cwd: dir, strip: 1, strict: true, preserveOwner: false });
}
