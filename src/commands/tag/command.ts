import type { Command } from 'commander';
import type { Wrap } from '../../cli/action.js';
import type { TagOptions } from './options.js';

export function registerTag(program: Command, wrap: Wrap): void {
  const tag = program
    .command('tag')
    .description('revision tags: stable names (prod, default) that namespaces use and that move from one revision to the next');
  const common = (c: Command) =>
    c
      .option('--wait-for-lock <duration>', 'when another mesh run is changing the mesh, wait this long for it instead of exiting 3')
      .option('--istioctl <path>', 'istioctl binary to run (default: the release in use, else istioctl on the PATH)')
      .option('--istio-version <version>', 'run the istioctl of this cached release (mesh istio fetch)')
      .option('--dry-run', 'print what would change (the istioctl command, the objects, the records) and change nothing (-o text|json)');
  common(
    tag
      .command('set <tag>')
      .description('point a tag at a revision (creates its webhooks; `default` makes the revision the default)')
      .requiredOption('-r, --revision <rev>', 'the revision the tag points at')
      .option('--overwrite', 'move a tag that points at another revision'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  mesh tag set prod --revision 1-31-0 --dry-run\n  mesh tag set prod --revision 1-31-0\n' +
        '  mesh tag set default --revision 1-31-0 --overwrite',
    )
    .action(wrap(async (globals, name, options) => (await import('./run.js')).setTag(globals, name as string, options as TagOptions)));
  tag
    .command('list')
    .description('every revision tag, the revision it points at and the namespaces using it (-o text|json)')
    .action(wrap(async (globals) => (await import('./run.js')).listTags(globals)));
  common(
    tag
      .command('remove <tag>')
      .description('remove a tag and its webhooks; refused while namespaces use it')
      .option('--force', 'remove it even while namespaces use it'),
  )
    .addHelpText('after', '\nExamples:\n  mesh tag remove prod --dry-run\n  mesh tag remove prod')
    .action(wrap(async (globals, name, options) => (await import('./run.js')).removeTag(globals, name as string, options as TagOptions)));
}
