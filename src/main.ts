import { Command, CommanderError } from 'commander';
import { CliError, ExitCode } from './errors.js';
import type { GlobalOptions } from './cli/options.js';
import type { Action } from './cli/action.js';
import { addListing, commandListings } from './cli/listed-commands.js';
import { COMMANDS } from './cli/commands.js';
import { interruptEndsNormally, runInterruptCleanups } from './adapters/cleanup.js';
import { MESH_VERSION } from './version.js';

/**
 * The program for one run: a command named anywhere in argv is built whole (its options, its
 * subcommands, its action); the others are only listed for the help. `completion` describes every
 * command, so it builds them all, as does an argv of undefined.
 */
export function buildProgram(setExit: (code: number) => void, argv?: string[]): Command {
  const program = new Command('mesh')
    .description('Install, verify and remove an Istio service mesh on Kubernetes')
    .version(MESH_VERSION, '--version', 'print the mesh version')
    .option('--kubeconfig <path>', 'path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use (default: current-context)')
    .option('-n, --istio-namespace <ns>', 'namespace of the Istio control plane (default: istio-system, or what the profile sets)')
    .option('-o, --output <format>', 'output format (text, json, yaml, junit: see each command)')
    .option('--verbose', 'print stack traces and the commands mesh runs')
    .option('--no-color', 'disable colour (also NO_COLOR=1)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const wrap =
    (action: Action) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args.at(-1) as Command;
      setExit(await action(command.optsWithGlobals<GlobalOptions>(), ...args.slice(0, -1)));
    };
  if (argv === undefined || argv.includes('completion')) for (const register of COMMANDS) register(program, wrap);
  else
    commandListings(COMMANDS).forEach((listing, i) => {
      if (argv.includes(listing.name)) COMMANDS[i](program, wrap);
      else addListing(program, listing);
    });
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const verbose = argv.includes('--verbose');
  if (argv.includes('--no-color') || process.env.NO_COLOR) process.env.FORCE_COLOR = '0';
  const program = buildProgram((code) => (exitCode = code), argv);
  const run = async (): Promise<number> => {
    try {
      await program.parseAsync(argv, { from: 'user' });
      return exitCode;
    } catch (error) {
      return reportError(error, verbose);
    }
  };
  return Promise.race([run(), interrupted()]);
}

/**
 * Ctrl-C or SIGTERM (a CI job cancelled): release what the run holds (its lock, its temp files),
 * say what that means for the cluster and return 130; bin/mesh.js then exits, and execa stops any
 * istioctl/helm still running. mesh's steps are idempotent, so re-running converges.
 */
function interrupted(): Promise<number> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      void runInterruptCleanups().then(() => {
        const normal = interruptEndsNormally();
        if (normal !== undefined) {
          process.stderr.write(`\n${normal}\n`);
          return resolve(ExitCode.ok);
        }
        process.stderr.write(
          `\nError: interrupted (${signal})\nhint: a change in progress may be partly applied: ` +
            're-run the same command to converge (`mesh status` shows the install record)\n',
        );
        resolve(ExitCode.interrupted);
      });
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

function reportError(error: unknown, verbose: boolean): number {
  if (error instanceof CommanderError) {
    // help and --version arrive here as "errors" with exit code 0.
    if (error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.ok;
    if (error.code === 'commander.help') return ExitCode.ok;
    return ExitCode.usage; // commander already printed the one-line message
  }
  if (error instanceof CliError) {
    process.stderr.write(`Error: ${error.message}\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    if (verbose && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`Error: unexpected failure: ${message}\nhint: re-run with --verbose and report this as a bug\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return ExitCode.unexpected;
}
