import type { Command } from 'commander';
import type { Wrap } from '../../cli/action.js';

export function registerCompletion(program: Command, wrap: Wrap): void {
  program
    .command('completion <shell>')
    .description('print a shell completion script for bash, zsh or fish')
    .addHelpText('after', '\nExamples:\n  source <(mesh completion bash)\n  mesh completion fish > ~/.config/fish/completions/mesh.fish')
    .action(
      wrap(async (_globals, shell) => {
        const { completionScript } = await import('./run.js');
        process.stdout.write(completionScript(shell as string, program));
        return 0;
      }),
    );
}
