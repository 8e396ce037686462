import type { Command } from 'commander';
import type { Wrap } from '../../cli/action.js';
import type { StatusOptions } from './options.js';

export function registerStatus(program: Command, wrap: Wrap): void {
  program
    .command('status')
    .description(
      "show mesh's install record beside the live state of what it installed, and drift: objects changed or deleted since (-o text|json)",
    )
    .option('-r, --revision <rev>', "the record of this revision's control plane (default: the default revision's)")
    .option('--no-drift', 'skip the drift check (it renders the recorded install again: istioctl or helm runs)')
    .option('--istioctl <path>', 'istioctl to render the recorded spec with (default: the release in use, else istioctl on the PATH)')
    .option('--istio-version <version>', 'render with the istioctl of this cached release (the version the install used)')
    .option('--helm <path>', 'helm binary to read the recorded releases with', 'helm')
    .addHelpText('after', '\nExamples:\n  mesh status\n  mesh status -o json --no-drift')
    .action(wrap(async (globals, options) => (await import('./run.js')).status(globals, options as StatusOptions)));
}
