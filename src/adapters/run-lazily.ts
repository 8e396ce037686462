import type { Runner } from './tool-run.js';

/** runProcess (execa), loaded on the first run: a command that may run no program this way never loads it. */
export const runLazily: Runner = async (file, argv, options) => (await import('./process.js')).runProcess(file, argv, options);
