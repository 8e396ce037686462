import type { OutputStyle } from './style.js';

/** One line per step on stderr: an ora spinner on a terminal, plain lines otherwise. */
export interface StepHandle {
  succeed(text?: string): void;
  fail(text?: string): void;
  info(text: string): void;
}

export interface Progress {
  step(text: string): Promise<StepHandle>;
  note(text: string): void;
}

export function createProgress(style: OutputStyle): Progress {
  const write = (line: string) => {
    process.stderr.write(`${line}\n`);
  };
  return {
    note: write,
    async step(text: string): Promise<StepHandle> {
      if (style.spinner) {
        const { default: ora } = await import('ora');
        const spinner = ora({ text, stream: process.stderr }).start();
        return {
          succeed: (t) => spinner.succeed(t ?? text),
          fail: (t) => spinner.fail(t ?? text),
          info: (t) => {
            spinner.clear();
            process.stderr.write(`  ${t}\n`);
            spinner.render();
          },
        };
      }
      write(`- ${text}`);
      return {
        succeed: (t) => write(`  ok: ${t ?? text}`),
        fail: (t) => write(`  FAILED: ${t ?? text}`),
        info: (t) => write(`  ${t}`),
      };
    },
  };
}

/** What one step of a change did, for the JSON result. */
export interface StepOutcome {
  id: string;
  description: string;
  status: 'ok' | 'failed';
  durationMs: number;
  detail?: string;
}

/**
 * The one step runner for every command that changes a cluster: each step under a spinner (or a
 * plain line), its outcome and duration kept for `-o json`, its failure shown and rethrown.
 */
export interface StepRunner {
  readonly outcomes: StepOutcome[];
  run<T>(
    step: { id: string; description: string },
    text: string,
    body: (handle: StepHandle) => Promise<T>,
    detail?: (value: T) => string | undefined,
  ): Promise<T>;
}

export function createStepRunner(progress: Progress): StepRunner {
  const outcomes: StepOutcome[] = [];
  return {
    outcomes,
    async run(step, text, body, detail) {
      const handle = await progress.step(text);
      const started = Date.now();
      try {
        const value = await body(handle);
        const d = detail?.(value);
        handle.succeed(d ? `${text}: ${d}` : text);
        outcomes.push({
          id: step.id,
          description: step.description,
          status: 'ok',
          durationMs: Date.now() - started,
          ...(d ? { detail: d } : {}),
        });
        return value;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        handle.fail(`${text}: ${message}`);
        outcomes.push({ id: step.id, description: step.description, status: 'failed', durationMs: Date.now() - started, detail: message });
        throw error;
      }
    },
  };
}
