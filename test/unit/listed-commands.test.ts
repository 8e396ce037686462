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

describe('commands listed without being built', () => {
  it('the top-level help is the same as the whole program', () => {
    expect(names).toHaveLength(14);
    expect(buildProgram(() => undefined, []).helpInformation()).toBe(whole.helpInformation());
    expect(buildProgram(() => undefined, ['--help']).helpInformation()).toBe(whole.helpInformation());
  });

  it('a command named on the command line is built whole, and only that one', () => {
    for (const name of names) {
      const program = buildProgram(() => undefined, [name, '--help']);
      expect(shape(find(program, name)!)).toEqual(shape(find(whole, name)!));
      if (name === 'completion') continue; // builds them all (below)
      const other = names.find((n) => n !== name && flagsOf(find(whole, n)).length > 0)!;
      expect(flagsOf(find(program, other))).toEqual(['--listed-only']);
    }
  });

  it('`help <command>` and a command after global options build that command', () => {
    expect(
      shape(
        find(
          buildProgram(() => undefined, ['help', 'install']),
          'install',
        )!,
      ),
    ).toEqual(shape(find(whole, 'install')!));
    const program = buildProgram(() => undefined, ['--context', 'kind', '-o', 'json', 'verify', '--wait']);
    expect(shape(find(program, 'verify')!)).toEqual(shape(find(whole, 'verify')!));
  });

  it('completion describes every command, so it builds them all', () => {
    const program = buildProgram(() => undefined, ['completion', 'bash']);
    expect(program.commands.map(shape)).toEqual(whole.commands.map(shape));
  });
});
