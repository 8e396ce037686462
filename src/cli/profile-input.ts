import type { Command } from 'commander';
import { collect } from './options.js';

/** --profile, -f and --set, shared by render, install and profile show. */
export interface ProfileInputOptions {
  /** Undefined when not given: then an overlay's spec.profile, else `default`, decides. */
  profile?: string;
  filename?: string[];
  set?: string[];
}

export function addProfileInputOptions(command: Command): Command {
  return command
    .option(
      '--profile <name|file>',
      "built-in profile name (see `mesh profile list`) or a profile file (default: an overlay's spec.profile, else default)",
    )
    .option('-f, --filename <overlay.yaml>', 'overlay file (a partial profile or an IstioOperator); repeatable, later wins', collect, [])
    .option('--set <path=value>', 'set a spec value, istioctl syntax (a.b[0].c, a.b[name:x].c); repeatable, later wins', collect, []);
}
