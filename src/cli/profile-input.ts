import type { Command } from 'commander';
import { collect } from './options.js';

/** --profile, -f and --set, shared by render, install and profile show. */
export interface ProfileInputOptions {
  profile?: string;
  filename?: string[];
  set?: string[];
}

export function addProfileInputOptions(command: Command, profileRequired = true): Command {
  const profileFlag = '--profile <name|file>';
  const profileHelp = 'built-in profile name (see `mesh profile list`) or a profile file';
  (profileRequired ? command.option(profileFlag, profileHelp, 'default') : command.option(profileFlag, profileHelp))
    .option('-f, --filename <overlay.yaml>', 'overlay file (a partial profile or an IstioOperator); repeatable, later wins', collect, [])
    .option('--set <path=value>', 'set a spec value, istioctl syntax (a.b[0].c, a.b[name:x].c); repeatable, later wins', collect, []);
  return command;
}
