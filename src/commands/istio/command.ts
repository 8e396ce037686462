import type { Command } from 'commander';
import type { Wrap } from '../../cli/action.js';

export function registerIstio(program: Command, wrap: Wrap): void {
  const istio = program
    .command('istio')
    .description('get Istio releases (istioctl, charts, samples) verified by checksum, and choose the one mesh uses');
  istio
    .command('fetch')
    .argument('[version]', 'an Istio release (1.31.0), or latest', 'latest')
    .description('download a release, check its sha256, unpack it into the cache')
    .option('--mirror <url>', 'base URL laid out like Istio release downloads (also MESH_ISTIO_MIRROR)')
    .option('--no-use', 'do not make it the release in use')
    .addHelpText('after', '\nExamples:\n  mesh istio fetch 1.31.0\n  mesh istio fetch latest --mirror https://artifacts.example.com/istio')
    .action(wrap(async (globals, version, options) => (await import('./run.js')).fetchIstio(globals, version as string, options as never)));
  istio
    .command('list')
    .description('cached releases and the one in use (-o text|json)')
    .action(wrap(async (globals) => (await import('./run.js')).listIstio(globals)));
  istio
    .command('use')
    .argument('<version>', 'a cached release')
    .description('use this cached release when --istioctl/--charts are not given')
    .action(wrap(async (globals, version) => (await import('./run.js')).useIstio(globals, version as string)));
  istio
    .command('remove')
    .argument('<version>', 'a cached release')
    .description('delete a cached release')
    .action(wrap(async (globals, version) => (await import('./run.js')).removeIstio(globals, version as string)));
}
