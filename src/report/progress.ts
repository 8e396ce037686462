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
