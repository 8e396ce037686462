import type { Command } from 'commander';
import { usageError } from '../../errors.js';
import { listBuiltinProfiles } from '../../profiles/load.js';
import { CHECK_IDS } from '../../verify/catalog.js';
import { CATEGORIES } from '../../verify/types.js';

interface Tree {
  commands: Record<string, string[]>;
}

/** Sub-command and flag names straight from the commander tree, so completion never drifts. */
function commandTree(program: Command): Tree {
  const commands: Record<string, string[]> = {};
  const globals = program.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
  const walk = (command: Command, prefix: string) => {
    for (const sub of command.commands) {
      const name = prefix ? `${prefix} ${sub.name()}` : sub.name();
      commands[name] = [
        ...sub.commands.map((c) => c.name()),
        ...sub.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f))),
        ...globals,
      ];
      walk(sub, name);
    }
  };
  commands[''] = [...program.commands.map((c) => c.name()), ...globals];
  walk(program, '');
  return { commands };
}

export function completionScript(shell: string, program: Command): string {
  const { commands } = commandTree(program);
  // Values come from where the program gets them: the profiles directory and verify's catalog.
  const profiles = listBuiltinProfiles().join(' ');
  const categories = CATEGORIES.join(' ');
  const skippable = [...CATEGORIES, ...CHECK_IDS].join(' ');
  if (shell === 'bash' || shell === 'zsh') {
    const cases = Object.entries(commands)
      .map(([path, words]) => `    "${path}") words="${words.join(' ')}" ;;`)
      .join('\n');
    const body = `_mesh_complete() {
  local cur path="" w
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for w in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$w" in -*) ;; *) [[ -n "$path" ]] && path="$path $w" || path="$w" ;; esac
  done
  case "\${COMP_WORDS[COMP_CWORD-1]}" in
    --profile) COMPREPLY=($(compgen -W "${profiles}" -- "$cur")); return ;;
    --only) COMPREPLY=($(compgen -W "${categories}" -- "$cur")); return ;;
    --skip) COMPREPLY=($(compgen -W "${skippable}" -- "$cur")); return ;;
  esac
  local words=""
  case "$path" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _mesh_complete mesh
`;
    return shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${body}` : body;
  }
  if (shell === 'fish') {
    const lines = ['complete -c mesh -f'];
    for (const sub of commands[''].filter((w) => !w.startsWith('-'))) lines.push(`complete -c mesh -n '__fish_use_subcommand' -a ${sub}`);
    for (const [path, words] of Object.entries(commands)) {
      if (!path || path.includes(' ')) continue;
      for (const word of words) {
        if (word.startsWith('--')) lines.push(`complete -c mesh -n '__fish_seen_subcommand_from ${path}' -l ${word.slice(2)}`);
        else if (!word.startsWith('-')) lines.push(`complete -c mesh -n '__fish_seen_subcommand_from ${path}' -a ${word}`);
      }
    }
    lines.push(`complete -c mesh -l profile -a '${profiles}'`);
    lines.push(`complete -c mesh -n '__fish_seen_subcommand_from verify' -l only -a '${categories}'`);
    lines.push(`complete -c mesh -n '__fish_seen_subcommand_from verify' -l skip -a '${skippable}'`);
    return `${lines.join('\n')}\n`;
  }
  throw usageError(`completion ${shell}: unsupported shell`, 'use bash, zsh or fish');
}
