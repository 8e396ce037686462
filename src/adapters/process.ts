import { execa } from 'execa';
import { CliError, ExitCode } from '../errors.js';
import { toolNotFound, type Runner } from './tool-run.js';

/**
 * The only importer of execa: programs run with argument arrays, never through a shell. Commands
 * that may run no program this way take `runLazily` (run-lazily.ts), which loads this on first use.
 */
export const runProcess: Runner = async (file, argv, options = {}) => {
  const result = await execa(file, argv, {
    reject: false,
    timeout: options.timeoutMs,
    input: options.input,
    env: options.env,
    stripFinalNewline: false,
    // Ctrl-C reaches the child through the process group; we only need its outcome.
    cleanup: true,
  });
  if (
    (result as { code?: string }).code === 'ENOENT' ||
    (result.failed && /ENOENT/.test(String(result.message)) && result.exitCode === undefined)
  )
    throw toolNotFound(file);
  if (result.timedOut)
    throw new CliError(
      `${file} ${argv.slice(0, 2).join(' ')} timed out after ${options.timeoutMs} ms`,
      ExitCode.verifyFailed,
      'raise --timeout',
    );
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
};
