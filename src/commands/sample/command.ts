import type { Command } from 'commander';
import type { Wrap } from '../../cli/action.js';

export function registerSample(program: Command, wrap: Wrap): void {
  const sample = program
    .command('sample')
    .description("Istio's bookinfo sample from the release matching your Istio: deploy, check, remove");
  sample
    .command('bookinfo')
    .description(
      'label the namespace for injection, deploy bookinfo and its gateway, check every pod got a sidecar, print the productpage URL',
    )
    .option('--namespace <ns>', 'namespace for the sample (created if missing, removed with it then)', 'default')
    .option('--gateway <api>', 'expose it through an Istio Gateway (istio) or the Kubernetes Gateway API (gateway-api)', 'istio')
    .option('--check <n>', 'then send n requests to /productpage and report the status codes (exit 5 unless all are 200)', '0')
    .option('--istio-dir <dir>', 'an unpacked Istio release (samples/bookinfo); default: the cached release in use')
    .option('--istio-version <version>', 'take the sample from this cached release')
    .option('--istioctl <path>', 'istioctl for `istioctl analyze` of the namespace')
    .option('--dry-run', 'print what would be applied and labelled, and change nothing')
    .option('--timeout <duration>', 'how long to wait for the pods', '5m')
    .option('--wait-for-lock <duration>', 'when another mesh run is changing the mesh, wait this long for it')
    .addHelpText(
      'after',
      '\nExamples:\n  mesh sample bookinfo --namespace bookinfo --check 10\n  mesh sample remove bookinfo --namespace bookinfo',
    )
    .action(wrap(async (globals, options) => (await import('./run.js')).deployBookinfo(globals, options as never)));
  sample
    .command('remove')
    .argument('<sample>', 'bookinfo')
    .description('delete the sample and give its namespace back as it was (labels restored, or the namespace deleted if mesh created it)')
    .option('--namespace <ns>', 'namespace of the sample', 'default')
    .option('--dry-run', 'print what would be deleted and how the namespace is given back, and change nothing (-o text|json)')
    .option('--timeout <duration>', 'how long to wait until it is gone', '2m')
    .option('--wait-for-lock <duration>', 'when another mesh run is changing the mesh, wait this long for it')
    .action(
      wrap(async (globals, name, options) => (await import('./run.js')).removeSampleCommand(globals, name as string, options as never)),
    );
}
