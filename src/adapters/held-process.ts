import { spawn } from 'node:child_process';
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

/**
 * Starts a program that asks before it changes anything (istioctl install without -y: it renders
 * and checks its input against the cluster, then asks), so that its checks run beside mesh's own
 * and its changes wait for mesh's answer. If mesh dies, the program's input closes and it declines.
 * Node's own spawn, with an argument array as everywhere: it starts the program without loading
 * execa first (tens of milliseconds on the way to istioctl's start).
 */
export function startHeld(file: string, argv: string[], prompt: RegExp): HeldRun {
  const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
  // As execa's cleanup does for every other tool: a mesh that exits takes the program with it.
  const stopOnExit = () => child.kill();
  process.once('exit', stopOnExit);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let seen = '';
  // heard()'s listeners: each is handed every chunk of either stream from its call on.
  const listeners = new Set<(text: string) => void>();
  const prompted = new Promise<HeldState>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      const text = chunk.toString();
      // The prompt ends a write of its own without a newline; only the tail can hold it.
      seen = (seen + text).slice(-512);
      if (prompt.test(seen)) resolve({ prompted: true, prompt: seen.slice(seen.lastIndexOf('\n') + 1) });
      for (const listener of listeners) listener(text);
    });
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr.push(chunk);
    for (const listener of listeners) listener(chunk.toString());
  });
  // Exited with its output read ('close'), or never started ('error', ENOENT and the like).
  const done = new Promise<RunResult>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? toolNotFound(file) : error));
    child.once('close', (code) =>
      resolve({
        exitCode: code ?? 1,
        stdout: Buffer.concat(stdout).toString(),
        stderr: Buffer.concat(stderr).toString(),
      }),
    );
  }).finally(() => process.removeListener('exit', stopOnExit));
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
