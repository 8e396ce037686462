import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { toolNotFound, type RunResult } from './tool-run.js';

/** Where a program started by startHeld stands: at its prompt, or exited without reaching it. */
export type HeldState = { prompted: true; prompt: string } | { prompted: false; result: RunResult };

/** A program started ahead of time that stops at its own yes/no prompt until mesh answers it. */
export interface HeldRun {
  /** Settles when the program prints its prompt (its last line), or exits before (ToolNotFoundError if it is not there). */
  readonly reached: Promise<HeldState>;
  /** Answers yes and waits for the program to finish. */
  proceed(): Promise<RunResult>;
  /** Settles true once what the program prints from this call on (either stream) matches, false if it ends first. */
  heard(pattern: RegExp): Promise<boolean>;
  /** Stops the program unanswered (SIGTERM, its input closed); settles when it has exited. */
  cancel(): Promise<void>;
}

/** A program started ahead of time: the process (its input a pipe), and its outcome once it has exited with its output read. */
export interface SpawnedTool {
  readonly child: ChildProcessWithoutNullStreams;
  /** Its exit code and output ('close'), or ToolNotFoundError / the spawn error if it never started. */
  readonly done: Promise<RunResult>;
}

/**
 * Starts `file argv` with Node's own spawn (an argument array as everywhere; execa is not loaded
 * first, tens of milliseconds on the way to the program's start), collects its output, hands each
 * chunk of either stream to `onOutput` as it comes, and stops it with `exitSignal` should mesh exit
 * first, as execa's cleanup does for every other tool.
 */
export function spawnTool(file: string, argv: string[], exitSignal: NodeJS.Signals, onOutput?: OutputListener): SpawnedTool {
  const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
  const stopOnExit = () => child.kill(exitSignal);
  process.once('exit', stopOnExit);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => (stdout.push(chunk), onOutput?.(chunk.toString(), 'stdout')));
  child.stderr.on('data', (chunk: Buffer) => (stderr.push(chunk), onOutput?.(chunk.toString(), 'stderr')));
  // Exited with its output read ('close'), or never started ('error', ENOENT and the like).
  const done = new Promise<RunResult>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? toolNotFound(file) : error));
    child.once('close', (code) =>
      resolve({ exitCode: code ?? 1, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() }),
    );
  }).finally(() => process.removeListener('exit', stopOnExit));
  return { child, done };
}

type OutputListener = (text: string, stream: 'stdout' | 'stderr') => void;

/**
 * Starts a program that asks before it changes anything (istioctl install without -y: it renders
 * and checks its input against the cluster, then asks), so that its checks run beside mesh's own
 * and its changes wait for mesh's answer. If mesh dies, the program's input closes and it declines.
 */
export function startHeld(file: string, argv: string[], prompt: RegExp): HeldRun {
  let seen = '';
  // heard()'s listeners: each is handed every chunk of either stream from its call on.
  const listeners = new Set<(text: string) => void>();
  let promptSeen: (state: HeldState) => void = () => undefined;
  const prompted = new Promise<HeldState>((resolve) => (promptSeen = resolve));
  const { child, done } = spawnTool(file, argv, 'SIGTERM', (text, stream) => {
    if (stream === 'stdout') {
      // The prompt ends a write of its own without a newline; only the tail can hold it.
      seen = (seen + text).slice(-512);
      if (prompt.test(seen)) promptSeen({ prompted: true, prompt: seen.slice(seen.lastIndexOf('\n') + 1) });
    }
    for (const listener of listeners) listener(text);
  });
  // Its exit, not its pipes, which a child it left (a wrapper script's) may hold open.
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const reached = Promise.race([prompted, done.then((result): HeldState => ({ prompted: false, result }))]);
  // Whoever answers sees a failure to start; one left unanswered must not end the process.
  reached.catch(() => undefined);
  // An answer to a program that has exited meets a closed pipe: its outcome says why.
  child.stdin.on('error', () => undefined);
  const answer = (text: string) => {
    if (child.stdin.writable) child.stdin.end(text);
    return done;
  };
  return {
    reached,
    proceed: () => answer('y\n'),
    heard: (pattern) =>
      new Promise<boolean>((resolve) => {
        let tail = '';
        const listener = (text: string) => {
          tail = (tail + text).slice(-512);
          if (pattern.test(tail)) settle(true);
        };
        const settle = (found: boolean) => {
          listeners.delete(listener);
          resolve(found);
        };
        listeners.add(listener);
        void done.then(
          () => settle(false),
          () => settle(false),
        );
      }),
    // Before its answer the program has changed nothing, so it may be stopped wherever it is.
    cancel: () => {
      child.kill();
      if (child.stdin.writable) child.stdin.end();
      return exited;
    },
  };
}
