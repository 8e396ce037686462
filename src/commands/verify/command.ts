import type { Command } from 'commander';
import type { Wrap } from '../../cli/action.js';
import { collect } from '../../cli/options.js';

export function registerVerify(program: Command, wrap: Wrap): void {
  program
    .command('verify')
    .description('check that the mesh is installed and healthy (-o text|json|junit); exit 0 ok, 5 failed, 4 unreachable')
    .option('--wait <duration>', 're-check on every change until all checks pass or the time is up (e.g. 2m)')
    .option('--only <category>', 'run only this category; repeatable', collect, [])
    .option('--skip <category|check>', 'skip a category or check id; repeatable', collect, [])
    .option('--strict', 'treat warnings and unknown checks (reads that were refused or failed) as failures')
    .option('--print-role', 'print the ClusterRole a user needs for every check to run, and exit')
    .option('--skip-analyze', 'do not run `istioctl analyze`')
    .option('-r, --revision <rev>', "verify this revision's control plane (default: the default revision's)")
    .option('--istioctl <path>', 'istioctl binary for the config category (default: the release in use, else the PATH)')
    .option('--istio-version <version>', 'run the istioctl of this cached release (mesh istio fetch)')
    .addHelpText(
      'after',
      '\nExamples:\n  mesh verify\n  mesh verify --wait 2m -o junit > verify.xml\n  mesh verify --only control-plane -o json\n' +
        '  mesh verify --print-role | kubectl apply -f -',
    )
    .action(wrap(async (globals, options) => (await import('./run.js')).verify(globals, options as never)));
}
