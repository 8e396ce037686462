import type { Command } from 'commander';
import type { Wrap } from '../../cli/action.js';
import { ADDON_NAMES } from '../../addons/names.js';

const releaseOptions = (command: Command) =>
  command
    .option('--istio-dir <dir>', 'an unpacked Istio release (samples/addons); default: the cached release in use (mesh istio fetch)')
    .option('--istio-version <version>', 'take the addons from this cached release');

export function registerAddons(program: Command, wrap: Wrap): void {
  const addons = program
    .command('addons')
    .description(`install, list and remove Istio's sample addons (${ADDON_NAMES.join(', ')}) from the release matching your Istio`);
  releaseOptions(
    addons
      .command('install')
      .argument('<addon...>', ADDON_NAMES.join(', '))
      .description('server-side apply the addons, wait for their rollout, record them (mesh uninstall removes them)')
      .option('--dry-run', 'print the objects each addon applies and change nothing')
      .option('--timeout <duration>', 'how long to wait for their rollout', '5m')
      .option('--wait-for-lock <duration>', 'when another mesh run is changing the mesh, wait this long for it')
      .option('--force-conflicts', 'take over fields another manager (kubectl apply, helm) owns on these objects'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  mesh addons install prometheus grafana kiali\n  mesh addons install kiali --istio-dir ./istio-1.31.0 --dry-run',
    )
    .action(
      wrap(async (globals, names, options) => (await import('./run.js')).installAddons(globals, names as string[], options as never)),
    );
  addons
    .command('uninstall')
    .argument('<addon...>', ADDON_NAMES.join(', '))
    .description('delete exactly the objects mesh applied for these addons')
    .option('--dry-run', 'print what would be deleted and change nothing')
    .option('--timeout <duration>', 'how long to wait for their workloads to be gone', '2m')
    .option('--wait-for-lock <duration>', 'when another mesh run is changing the mesh, wait this long for it')
    .action(
      wrap(async (globals, names, options) => (await import('./run.js')).uninstallAddons(globals, names as string[], options as never)),
    );
  releaseOptions(
    addons.command('list').description('the addons the release offers and those installed, with their state (-o text|json)'),
  ).action(wrap(async (globals, options) => (await import('./run.js')).listAddons(globals, options as never)));
}
