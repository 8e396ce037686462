import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const repoRoot = join(import.meta.dirname, '..', '..');
export const meshBin = join(repoRoot, 'bin', 'mesh.js');

export interface MeshResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real built binary (`npm run build` first) with the Node running the tests (24,
 * from the node@24 devDependency), no TTY, and an environment the test controls.
 */
export function mesh(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<MeshResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [meshBin, ...args],
      {
        env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', CI: 'true', ...options.env },
        timeout: options.timeoutMs ?? 600_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}
