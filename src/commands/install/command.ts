import type { Command } from 'commander';
import type { Wrap } from '../../cli/action.js';
import { addProfileInputOptions } from '../../cli/profile-input.js';
import { collect } from '../../cli/options.js';
import { backendOption } from '../render/command.js';

export function registerInstall(program: Command, wrap: Wrap): void {
  addProfileInputOptions(
    program
      .command('install')
      .description('install or converge Istio with a profile, then wait until the control plane is ready')
      .addOption(backendOption())
      .option(
        '--dry-run [mode]',
        'print the plan (every step and command) and change nothing; --dry-run=server first runs the checks install makes ' +
          "before a change (tools, cluster, permissions, existing install, lock, istioctl's verdict on the spec or helm's on the values)",
      )
      .option('-y, --yes', 'do not ask for confirmation')
      .option('--timeout <duration>', 'how long to wait for readiness (e.g. 90s, 5m)', '5m')
      .option('--wait-for-lock <duration>', 'when another mesh run is changing the mesh, wait this long for it instead of exiting 3')
      .option('--inject-namespace <ns>', 'label a namespace for sidecar injection; repeatable', collect, [])
      .option('--charts <dir>', "helm backend: local charts directory (Istio's manifests/charts), works offline")
      .option('--chart-version <version>', 'helm backend: chart version to fetch from the Istio chart repository')
      .option('--chart-repo <url>', "helm backend: chart repository to fetch Istio's charts from, e.g. a mirror (default: Istio's)")
      .option('--istioctl <path>', 'istioctl binary to run (default: the release in use, else istioctl on the PATH)')
      .option('--istio-version <version>', 'run the istioctl (and helm: the charts) of this cached release (mesh istio fetch)')
      .option('--helm <path>', 'helm binary to run', 'helm')
      .addHelpText(
        'after',
        '\nExamples:\n  mesh install --profile demo --inject-namespace default -y\n' +
          '  mesh install --profile minimal --backend helm --charts ./istio/manifests/charts --dry-run -o json\n' +
          '  mesh install --profile demo -f overlay.yaml --dry-run=server',
      ),
  ).action(wrap(async (globals, options) => (await import('./run.js')).install(globals, options as never)));
}
