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

/** execa's outcome as a RunResult; a program not found is ToolNotFoundError, a timeout a CliError. */
function settled(
  file: string,
  argv: string[],
  timeoutMs: number | undefined,
  result: { failed?: boolean; timedOut?: boolean; message?: string; exitCode?: number; stdout?: string; stderr?: string },
): RunResult {
  if (
    (result as { code?: string }).code === 'ENOENT' ||
    (result.failed && /ENOENT/.test(String(result.message)) && result.exitCode === undefined)
  ) {
    const tool = file.split('/').pop() ?? file;
    const role = Object.keys(HOW_TO_GET).find((known) => tool.startsWith(known));
    throw new ToolNotFoundError(tool, role ? HOW_TO_GET[role] : `install ${tool}`);
  }
  if (result.timedOut)
    throw new CliError(`${file} ${argv.slice(0, 2).join(' ')} timed out after ${timeoutMs} ms`, ExitCode.verifyFailed, 'raise --timeout');
  return { exitCode: result.exitCode ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

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
  return settled(file, argv, options.timeoutMs, result);
};

/** Where a program started by startHeld stands: at its prompt, or exited without reaching it. */
export type HeldState = { prompted: true } | { prompted: false; result: RunResult };

/** A program started ahead of time that stops at its own yes/no prompt until mesh answers it. */
export interface HeldRun {
  /** Settles when the program prints its prompt, or exits before (ToolNotFoundError if it is not there). */
  readonly reached: Promise<HeldState>;
  /** Answers yes and waits for the program to finish. */
  proceed(): Promise<RunResult>;
  /** Stops the program unanswered (SIGTERM, its input closed); settles when it has exited. */
  cancel(): Promise<void>;
}

/**
 * Starts a program that asks before it changes anything (istioctl install without -y: it renders
 * and checks its input against the cluster, then asks), so that its checks run beside mesh's own
 * and its changes wait for mesh's answer. If mesh dies, the program's input closes and it declines.
 */
export function startHeld(file: string, argv: string[], prompt: RegExp): HeldRun {
  const child = execa(file, argv, { reject: false, stdin: 'pipe', stripFinalNewline: false, cleanup: true });
  const done = child.then((result) => settled(file, argv, undefined, result));
  const exited = new Promise<void>((resolve) => {
    child.nodeChildProcess.once('exit', () => resolve());
    // never started (not found): nothing to wait for
    child.nodeChildProcess.once('error', () => resolve());
  });
  let seen = '';
  const prompted = new Promise<HeldState>((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      // The prompt ends a write of its own without a newline; only the tail can hold it.
      seen = (seen + chunk.toString()).slice(-512);
      if (prompt.test(seen)) resolve({ prompted: true });
    });
  });
  const reached = Promise.race([prompted, done.then((result): HeldState => ({ prompted: false, result }))]);
  // Whoever answers sees a failure to start; one left unanswered must not end the process.
  reached.catch(() => undefined);
  // An answer to a program that has exited meets a closed pipe: its outcome says why.
  child.stdin?.on('error', () => undefined);
  const answer = (text: string) => {
    if (child.stdin?.writable) child.stdin.end(text);
    return done;
  };
  return {
    reached,
    proceed: () => answer('y\n'),
    // Before its answer the program has changed nothing, so it may be stopped wherever it is. Its
    // exit is awaited, not its pipes, which a child it left (a wrapper script's) may hold open.
    cancel: () => {
      child.kill();
      if (child.stdin?.writable) child.stdin.end();
      return exited;
    },
  };
}

/** Runs a tool and throws ToolFailedError on a non-zero exit. */
export async function runChecked(runner: Runner, file: string, argv: string[], options?: RunOptions): Promise<RunResult> {
  const result = await runner(file, argv, options);
  if (result.exitCode !== 0) throw new ToolFailedError(file.split('/').pop() ?? file, argv, result);
  return result;
}
