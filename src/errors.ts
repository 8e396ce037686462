/** Exit codes are part of mesh's interface: documented in README, never renumbered. */
export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  preflight: 3,
  unreachable: 4,
  verifyFailed: 5,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error meant for the user: one line saying what was wrong with which input,
 * a hint saying how to fix it, and the exit code CI sees. Never printed with a stack
 * unless --verbose.
 */
export class CliError extends Error {
  readonly hint?: string;
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    hint?: string,
  ) {
    // Messages quote user input (--set values, file names): control characters are escaped so an
    // error stays one line and cannot rewrite the terminal.
    super(oneLine(message));
    if (hint !== undefined) this.hint = oneLine(hint);
    this.name = 'CliError';
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
export const oneLine = (text: string): string => text.replace(CONTROL, (c) => JSON.stringify(c).slice(1, -1));

export const usageError = (message: string, hint?: string) => new CliError(message, ExitCode.usage, hint);
export const preflightError = (message: string, hint?: string) => new CliError(message, ExitCode.preflight, hint);
export const unreachableError = (message: string, hint?: string) => new CliError(message, ExitCode.unreachable, hint);
