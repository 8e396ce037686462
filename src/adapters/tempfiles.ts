import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Writes rendered files into a fresh private directory (0700, files 0600), hands back a
 * function that swaps `<rendered:NAME>` placeholders in argv for their paths, and removes
 * everything when `use` settles, also on failure.
 */
export async function withRenderedFiles<T>(
  files: Record<string, string>,
  use: (resolveArgv: (argv: string[]) => string[]) => Promise<T>,
): Promise<T> {
  if (!Object.keys(files).length) return use((argv) => argv);
  const dir = await mkdtemp(join(tmpdir(), 'mesh-'));
  try {
    const paths: Record<string, string> = {};
    for (const [name, text] of Object.entries(files)) {
      paths[name] = join(dir, name);
      await writeFile(paths[name], text, { mode: 0o600, flag: 'wx' });
    }
    return await use((argv) => argv.map((arg) => arg.replace(/^<rendered:(.+)>$/, (_m, name: string) => paths[name] ?? arg)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
