import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../src/main.js';

const whole = buildProgram(() => undefined);
const names = whole.commands.map((c) => c.name());
const flagsOf = (command: Command | undefined) => command?.options.map((o) => o.flags) ?? [];
const find = (program: Command, name: string) => program.commands.find((c) => c.name() === name);
/** Everything a command's help and parsing stand on, its subcommands' included. */
const shape = (command: Command): unknown => ({
  usage: command.usage(),
  description: command.description(),
  options: flagsOf(command),
  subcommands: command.commands.map(shape),
});
/** The program one run builds for `argv`. */
const programFor = (argv: string[]) => buildProgram(() => undefined, argv);
/** The shape of command `name` in the program built for `argv`, beside the whole program's. */
const shapes = (argv: string[], name: string) => {
  const built = find(programFor(argv), name)!;
  return { built: shape(built), whole: shape(find(whole, name)!) };
};

describe('commands listed without being built', () => {
  it('the top-level help is the same as the whole program', () => {
    expect(names).toHaveLength(14);
    expect(programFor([]).helpInformation()).toBe(whole.helpInformation());
    expect(programFor(['--help']).helpInformation()).toBe(whole.helpInformation());
  });

  it('a command named on the command line is built whole, and only that one', () => {
    for (const name of names) {
      const program = programFor([name, '--help']);
      expect(shape(find(program, name)!)).toEqual(shape(find(whole, name)!));
      if (name === 'completion') continue; // builds them all (below)
      const other = names.find((n) => n !== name && flagsOf(find(whole, n)).length > 0)!;
      expect(flagsOf(find(program, other))).toEqual(['--listed-only']);
    }
  });

  it('`help <command>` and a command after global options build that command', () => {
    const install = shapes(['help', 'install'], 'install');
    expect(install.built).toEqual(install.whole);
    const verify = shapes(['--context', 'kind', '-o', 'json', 'verify', '--wait'], 'verify');
    expect(verify.built).toEqual(verify.whole);
  });

  it('completion describes every command, so it builds them all', () => {
    const program = programFor(['completion', 'bash']);
    expect(program.commands.map(shape)).toEqual(whole.commands.map(shape));
  });
});
