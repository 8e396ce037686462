import type { GlobalOptions } from './options.js';

/** Every command's action resolves to an exit code; nothing below main() exits the process. */
export type Action = (globals: GlobalOptions, ...args: unknown[]) => Promise<number>;

/** main() wraps each action so commander's arguments arrive as (globals, ...positionals, options). */
export type Wrap = (action: Action) => (...args: unknown[]) => Promise<void>;
