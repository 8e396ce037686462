import type { Command } from 'commander';
import type { Action } from '../../main.js';
import { addProfileInputOptions } from '../../cli/profile-input.js';

export function registerProfile(program: Command, wrap: (action: Action) => (...args: unknown[]) => Promise<void>): void {
  const profile = program.command('profile').description('list, show and compare install profiles');
  profile
    .command('list')
    .description('list the built-in profiles (-o text|json)')
    .addHelpText('after', '\nExample:\n  mesh profile list -o json')
    .action(wrap(async (globals) => (await import('./run.js')).listProfiles(globals)));
  addProfileInputOptions(
    profile
      .command('show [name]')
      .description('print a profile with extends, overlays and --set applied (-o yaml|json)')
      .addHelpText('after', '\nExample:\n  mesh profile show demo --set values.pilot.traceSampling=10'),
    false,
  ).action(wrap(async (globals, name, options) => (await import('./run.js')).showProfile(globals, name as string | undefined, options as object)));
  profile
    .command('diff <a> <b>')
    .description('show which settings differ between two profiles (names or files)')
    .addHelpText('after', '\nExample:\n  mesh profile diff default demo')
    .action(wrap(async (globals, a, b) => (await import('./run.js')).diffProfiles(globals, a as string, b as string)));
}
