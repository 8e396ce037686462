import { Option, type Command } from 'commander';
import type { Wrap } from '../../cli/action.js';
import { addProfileInputOptions } from '../../cli/profile-input.js';

export const backendOption = () =>
  new Option('--backend <istioctl|helm>', 'install with istioctl (IstioOperator) or helm (base, istiod, cni, ztunnel, gateway charts)')
    .choices(['istioctl', 'helm'])
    .default('istioctl');

export function registerRender(program: Command, wrap: Wrap): void {
  addProfileInputOptions(
    program
      .command('render')
      .description('print what install would apply: an IstioOperator (istioctl) or one values document per chart (helm)')
      .addOption(backendOption())
      .addHelpText(
        'after',
        '\nExamples:\n  mesh render --profile demo\n' +
          '  mesh render --profile demo --backend helm -f overlay.yaml --set values.pilot.traceSampling=10',
      ),
  ).action(wrap(async (globals, options) => (await import('./run.js')).render(globals, options as never)));
}
