import type { Command } from 'commander';
import type { Wrap } from '../../cli/action.js';
import { addProfileInputOptions } from '../../cli/profile-input.js';
import { backendOption } from '../render/command.js';

export function registerDiff(program: Command, wrap: Wrap): void {
  addProfileInputOptions(
    program
      .command('diff')
      .description('show what `mesh install` with the same flags would change: each object created, changed (field by field) or deleted')
      .addOption(backendOption())
      .option('--charts <dir>', "helm backend: local charts directory (Istio's manifests/charts), works offline")
      .option('--chart-version <version>', 'helm backend: chart version to fetch from the Istio chart repository')
      .option('--chart-repo <url>', "helm backend: chart repository to fetch Istio's charts from, e.g. a mirror (default: Istio's)")
      .option('--istioctl <path>', 'istioctl binary to render with (default: the release in use, else istioctl on the PATH)')
      .option('--istio-version <version>', 'render with the istioctl (and helm: the charts) of this cached release')
      .option('--helm <path>', 'helm binary to run', 'helm')
      .addHelpText(
        'after',
        '\nExit status: 0 no differences, 1 differences (as kubectl diff), 3 some objects could not be compared.\n' +
          '\nExamples:\n  mesh diff --profile demo --set values.pilot.traceSampling=10\n' +
          '  mesh diff --profile minimal --backend helm --charts ./istio/manifests/charts -o json',
      ),
  ).action(wrap(async (globals, options) => (await import('./run.js')).diff(globals, options as never)));
}
