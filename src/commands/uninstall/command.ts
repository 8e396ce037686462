import type { Command } from 'commander';
import type { Wrap } from '../../cli/action.js';

export function registerUninstall(program: Command, wrap: Wrap): void {
  program
    .command('uninstall')
    .description('remove what `mesh install` created, as its install record says')
    .option('--purge', 'also remove the Istio CRDs (and with them every Istio resource)')
    .option('-r, --revision <rev>', "remove this revision's control plane only (default: the default revision's)")
    .option('--force', 'remove a revision even while pods or namespaces still use it')
    .option('--dry-run', 'print the plan and change nothing')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
    .option('--timeout <duration>', 'how long to wait for resources to be gone', '5m')
    .option('--wait-for-lock <duration>', 'when another mesh run is changing the mesh, wait this long for it instead of exiting 3')
    .option('--istioctl <path>', 'istioctl binary to run (default: the release in use, else istioctl on the PATH)')
    .option('--istio-version <version>', 'run the istioctl (and helm: the charts) of this cached release (mesh istio fetch)')
    .option('--helm <path>', 'helm binary to run', 'helm')
    .addHelpText(
      'after',
      '\nExamples:\n  mesh uninstall --dry-run\n  mesh uninstall --purge -y\n' +
        '  mesh uninstall --revision 1-30 -y   # the old control plane, once no proxy uses it',
    )
    .action(wrap(async (globals, options) => (await import('./run.js')).uninstall(globals, options as never)));
}
