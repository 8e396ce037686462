import type { Command } from 'commander';
import type { Wrap } from '../../cli/action.js';

export function registerStatus(program: Command, wrap: Wrap): void {
  program
    .command('status')
    .description("show mesh's install record beside the live state of the workloads it installed (-o text|json)")
    .addHelpText('after', '\nExample:\n  mesh status -o json')
    .action(wrap(async (globals) => (await import('./run.js')).status(globals)));
}
