import { execa } from 'execa';
import { CliError, ExitCode } from '../errors.js';

/** The only importer of execa: programs run with argument arrays, never through a shell. */
export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  input?: string;
  env?: Record<string, string>;
}

export type Runner = (file: string, argv: string[], options?: RunOptions) => Promise<RunResult>;

export class ToolNotFoundError extends CliError {
  constructor(
    readonly tool: string,
    howToGet: string,
  ) {
    super(`${tool} not found on PATH`, ExitCode.preflight, howToGet);
  }
}

/** The last lines of a tool's stderr, for an error message that stays readable. */
export const tail = (text: string, lines = 4): string => text.trim().split('\n').slice(-lines).join(' | ');

export class ToolFailedError extends CliError {
  constructor(
    readonly tool: string,
    argv: string[],
    readonly result: RunResult,
  ) {
    super(
      `${tool} ${argv.slice(0, 3).join(' ')} failed (exit ${result.exitCode}): ${tail(result.stderr || result.stdout) || 'no output'}`,
      ExitCode.unexpected,
      're-run with --verbose to see the full command and output',
    );
  }
}

const HOW_TO_GET: Record<string, string> = {
  istioctl: 'install it (https://istio.io/latest/docs/setup/getting-started/#download) or pass --istioctl <path>',
  helm: 'install Helm 3 (https://helm.sh/docs/intro/install/) or pass --helm <path>',
};

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
  ) {
    const tool = file.split('/').pop() ?? file;
    const role = Object.keys(HOW_TO_GET).find((known) => tool.startsWith(known));
    throw new ToolNotFoundError(tool, role ? HOW_TO_GET[role] : `install ${tool}`);
  }
  if (result.timedOut)
    throw new CliError(
      `${file} ${argv.slice(0, 2).join(' ')} timed out after ${options.timeoutMs} ms`,
      ExitCode.verifyFailed,
      'raise --timeout',
    );
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
};

/** Runs a tool and throws ToolFailedError on a non-zero exit. */
export async function runChecked(runner: Runner, file: string, argv: string[], options?: RunOptions): Promise<RunResult> {
  const result = await runner(file, argv, options);
  if (result.exitCode !== 0) throw new ToolFailedError(file.split('/').pop() ?? file, argv, result);
  return result;
}
