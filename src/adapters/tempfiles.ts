import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onInterrupt } from './cleanup.js';

/** Private temp dirs are named for the process that made them, so a later run can tell whose they are. */
const PREFIX = 'mesh-run-';
const OWNER = /^mesh-run-(\d+)-/;

/**
 * Writes rendered files into a fresh private directory (0700, files 0600), hands back a
 * function that swaps `<rendered:NAME>` placeholders in argv for their paths, and the directory
 * itself for other private files of the run (downloaded charts), and removes everything when
 * `use` settles, on failure, and on Ctrl-C/SIGTERM. No files: no directory.
 */
export async function withRenderedFiles<T>(
  files: Record<string, string>,
  use: (resolveArgv: (argv: string[]) => string[], dir?: string) => Promise<T>,
): Promise<T> {
  if (!Object.keys(files).length) return use((argv) => argv);
  const dir = await mkdtemp(join(tmpdir(), `${PREFIX}${process.pid}-`));
  const unregister = onInterrupt(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const paths: Record<string, string> = {};
    for (const [name, text] of Object.entries(files)) {
      paths[name] = join(dir, name);
      await writeFile(paths[name], text, { mode: 0o600, flag: 'wx' });
    }
    return await use((argv) => argv.map((arg) => arg.replace(/^<rendered:(.+)>$/, (_m, name: string) => paths[name] ?? arg)), dir);
  } finally {
    unregister();
    await rm(dir, { recursive: true, force: true });
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Processes (Linux /proc) whose command line names a file in `dir`: the istioctl or helm a dead run left behind. */
function processesUsing(dir: string): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) out.push(Number(entry));
    } catch {
      /* gone meanwhile, or not ours */
    }
  }
  return out;
}

export interface Swept {
  dir: string;
  deadPid: number;
  stopped: number[];
}

/**
 * After a mesh run was killed outright (SIGKILL, OOM), its private files stay in the temp dir and
 * the istioctl/helm it started may still run. The next run removes the files of dead runs of this
 * user and stops the tools still working from them, so no two applies race.
 */
export function sweepStaleRuns(): Swept[] {
  const swept: Swept[] = [];
  const base = tmpdir();
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return swept;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const pid = Number(OWNER.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    const dir = join(base, name);
    try {
      if (uid !== undefined && statSync(dir).uid !== uid) continue;
    } catch {
      continue;
    }
    const stopped = processesUsing(dir).filter((p) => {
      try {
        process.kill(p, 'SIGTERM');
        return true;
      } catch {
        return false;
      }
    });
    rmSync(dir, { recursive: true, force: true });
    swept.push({ dir, deadPid: pid, stopped });
  }
  return swept;
}
