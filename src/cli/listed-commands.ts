import { Option, type Command } from 'commander';
import type { Wrap } from './action.js';

/** Adds one top-level command (and its subcommands, options and action) to the program. */
export type Register = (program: Command, wrap: Wrap) => void;

/** What the top-level help shows of a command: `name <args>`, `[options]` if it has options, the description. */
export interface Listing {
  name: string;
  nameAndArgs: string;
  description: string;
  hasOptions: boolean;
}

/**
 * Reads a command's listing by running its register function against a recorder instead of
 * commander: building every option of all 14 commands (parsing each flag string, one event
 * listener per option) was about 5 ms of every run, and a run uses one command. Everything but
 * the top-level command's name, arguments, description and whether it has options is ignored,
 * subcommands included. A unit test holds the listings against the whole program's help.
 */
export function listingOf(register: Register): Listing {
  const listing: Listing = { name: '', nameAndArgs: '', description: '', hasOptions: false };
  const ignored: unknown = new Proxy(() => ignored, { get: () => ignored, apply: () => ignored });
  const command: unknown = new Proxy(
    {},
    {
      get:
        (_, method) =>
        (...args: unknown[]) => {
          if (method === 'description') listing.description = String(args[0]);
          else if (method === 'argument') listing.nameAndArgs += ` ${String(args[0])}`;
          else if (method === 'option' || method === 'requiredOption' || method === 'addOption') listing.hasOptions = true;
          else if (method === 'command') return ignored;
          return command;
        },
    },
  );
  const program = {
    command: (nameAndArgs: string) => {
      listing.name = nameAndArgs.split(' ')[0];
      listing.nameAndArgs = nameAndArgs;
      return command;
    },
  };
  register(program as unknown as Command, (() => undefined) as unknown as Wrap);
  return listing;
}

/**
 * The listings of mesh's commands as the build read them (scripts/command-listings.mjs runs
 * listingOf over them), as JSON text: esbuild writes it into the bundle. Run from source (the
 * unit tests) there is none.
 */
declare const MESH_COMMAND_LISTINGS: string | undefined;

/**
 * Each command's listing: the build's (read from COMMANDS, the only list main passes), else read
 * now. Reading them ran 13 register functions against the recorder in every run: about 4% of
 * `mesh --help`, `render` and `--version` on the 2-core machine (farm-bench, 0.95-0.96x).
 */
export function commandListings(registers: Register[]): Listing[] {
  if (typeof MESH_COMMAND_LISTINGS === 'undefined') return registers.map(listingOf);
  return JSON.parse(MESH_COMMAND_LISTINGS) as Listing[];
}

/**
 * Lists a command in the program's help without building it. It is never run: the program builds
 * whole every command whose name is on the command line (see `buildProgram`).
 */
export function addListing(program: Command, listing: Listing): void {
  const listed = program.command(listing.nameAndArgs).description(listing.description);
  // commander writes `[options]` after a command that has options; this one's are not built.
  if (listing.hasOptions) listed.addOption(new Option('--listed-only').hideHelp());
}
