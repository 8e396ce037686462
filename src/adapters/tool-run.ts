import { CliError, ExitCode } from '../errors.js';

/** What running a program means to mesh, without the means (execa, process.ts): the runner's types and errors. */
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

/** A program that is not there (ENOENT), with how to get it. */
export function toolNotFound(file: string): ToolNotFoundError {
  const tool = file.split('/').pop() ?? file;
  const role = Object.keys(HOW_TO_GET).find((known) => tool.startsWith(known));
  return new ToolNotFoundError(tool, role ? HOW_TO_GET[role] : `install ${tool}`);
}

/** Runs a tool and throws ToolFailedError on a non-zero exit. */
export async function runChecked(runner: Runner, file: string, argv: string[], options?: RunOptions): Promise<RunResult> {
  const result = await runner(file, argv, options);
  if (result.exitCode !== 0) throw new ToolFailedError(file.split('/').pop() ?? file, argv, result);
  return result;
}
