import type { Command } from 'commander';
import type { Wrap } from '../../cli/action.js';
import { addProfileInputOptions } from '../../cli/profile-input.js';
import type { UpgradeOptions } from './options.js';

export function registerUpgrade(program: Command, wrap: Wrap): void {
  addProfileInputOptions(
    program
      .command('upgrade')
      .description('upgrade Istio: a canary revision beside the old one (default), namespaces and tags moved to it; or --in-place')
      .requiredOption('--to <version>', 'the Istio version to upgrade to (the istioctl run must be that version)')
      .option('--in-place', 'upgrade the control plane where it is (one minor at most) instead of a canary beside it')
      .option('--from <rev>', 'the revision to upgrade from (default: the default revision, else the only one)')
      .option('--restart', 'roll out the workloads of the namespaces moved, so their proxies are the new version')
      .option('--dry-run', 'say what would happen and change nothing')
      .option('-y, --yes', 'do not ask for confirmation')
      .option('--timeout <duration>', 'how long to wait for the new control plane', '5m')
      .option('--charts <dir>', "helm backend: the new version's charts directory (Istio's manifests/charts)")
      .option('--chart-version <version>', 'helm backend: chart version to fetch from the Istio chart repository')
      .option('--chart-repo <url>', "helm backend: chart repository to fetch Istio's charts from, e.g. a mirror (default: Istio's)")
      .option('--istioctl <path>', 'the istioctl of the new version (default: the cached release --to names)')
      .option('--istio-version <version>', 'run the istioctl (and helm: the charts) of this cached release (default: --to)')
      .option('--helm <path>', 'helm binary to run', 'helm')
      .addHelpText(
        'after',
        '\nThe upgrade keeps the recorded intent (profile, -f, --set, exposure and CNI flags); -f, --set and\n' +
          'exposure flags given here layer on top of it; --profile starts afresh from the flags given here.\n' +
          '\nExamples:\n  mesh upgrade --to 1.31.0 --restart -y\n  mesh upgrade --to 1.31.2 --in-place -y',
      ),
  ).action(wrap(async (globals, options) => (await import('./run.js')).upgrade(globals, options as UpgradeOptions)));
}
