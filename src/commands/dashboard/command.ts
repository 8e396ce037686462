import type { Command } from 'commander';
import type { Wrap } from '../../cli/action.js';
import { DASHBOARDS, POD_DASHBOARDS } from '../../addons/dashboards.js';

export function registerDashboard(program: Command, wrap: Wrap): void {
  program
    .command('dashboard')
    .argument('<name>', [...Object.keys(DASHBOARDS), ...Object.keys(POD_DASHBOARDS)].join(', '))
    .argument('[pod]', 'for envoy: the pod whose proxy admin page to open; for controlz: an istiod pod (default: the first Ready one)')
    .description("open an addon's UI, a proxy's admin page or istiod's ControlZ through a port-forward mesh makes itself; Ctrl-C closes it")
    .option('--address <ip>', 'local address to listen on', '127.0.0.1')
    .option('--port <port>', "local port (default: the UI's own port; 0 for any free one)")
    .option('--browser', 'open the URL in a browser too')
    .option('--namespace <ns>', "for envoy: the pod's namespace (default: default)")
    .addHelpText('after', '\nExamples:\n  mesh dashboard kiali\n  mesh dashboard envoy productpage-v1-5b8f6d --namespace shop --port 0')
    .action(
      wrap(async (globals, name, pod, options) =>
        (await import('./run.js')).dashboard(globals, name as string, pod as string | undefined, options as never),
      ),
    );
}
