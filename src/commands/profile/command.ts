import type { Command } from 'commander';
import type { Wrap } from '../../cli/action.js';
import { addProfileInputOptions } from '../../cli/profile-input.js';

export function registerProfile(program: Command, wrap: Wrap): void {
  const profile = program.command('profile').description('list, show and compare install profiles');
  profile
    .command('list')
    .description('list the built-in profiles (-o text|json)')
    .addHelpText('after', '\nExample:\n  mesh profile list -o json')
    .action(wrap(async (globals) => (await import('./run.js')).listProfiles(globals)));
  addProfileInputOptions(
    profile
      .command('show [name]')
      .description('print a profile with extends, overlays and --set applied: what mesh hands istioctl (-o yaml|json)')
      .option('--effective', "also print what istioctl makes of it: Istio's profile merged underneath, the workloads it creates")
      .addHelpText(
        'after',
        '\nExamples:\n  mesh profile show demo --set values.pilot.traceSampling=10\n  mesh profile show -f my-iop.yaml --effective',
      ),
  ).action(
    wrap(async (globals, name, options) => (await import('./run.js')).showProfile(globals, name as string | undefined, options as object)),
  );
  profile
    .command('diff <a> <b>')
    .description('show which settings differ between two profiles (names or files)')
    .option('--effective', "compare what istioctl makes of them (Istio's profiles merged underneath), not just the intent")
    .addHelpText('after', '\nExamples:\n  mesh profile diff default demo\n  mesh profile diff default demo --effective')
    .action(
      wrap(async (globals, a, b, options) => (await import('./run.js')).diffProfiles(globals, a as string, b as string, options as object)),
    );
}
