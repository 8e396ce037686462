import type { Command } from 'commander';
import type { Action } from '../../main.js';

export function registerStatus(program: Command, wrap: (action: Action) => (...args: unknown[]) => Promise<void>): void {
  program
    .command('status')
    .description("show mesh's install record beside the live state of the workloads it installed (-o text|json)")
    .addHelpText('after', '\nExample:\n  mesh status -o json')
    .action(wrap(async (globals) => (await import('./run.js')).status(globals)));
}
