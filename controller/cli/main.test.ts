import { describe, expect, it } from 'vitest';
import { COMMANDS, OFFICE_COMMANDS } from './commands/index.js';
import { buildFullProgram, buildProgram, commandNamed } from './main.js';

const argv = (...words: string[]) => ['node', 'jpki-locker', ...words];

describe('command line start-up', () => {
  it('names the command a line runs, after options and after `help`', () => {
    expect(commandNamed(argv('crl', 'import', 'x.crl'))).toBe('crl');
    expect(commandNamed(argv('--no-color', 'start'))).toBe('start');
    expect(commandNamed(argv('help', 'cert'))).toBe('cert');
    expect(commandNamed(argv('--version'))).toBeUndefined();
    expect(commandNamed(argv())).toBeUndefined();
    expect(commandNamed(argv('no-such-command'))).toBeUndefined();
    expect(commandNamed(argv('constructor'))).toBeUndefined();
  });

  it('lists every command from the table alone for --help, with the line its module registers', async () => {
    const full = await buildFullProgram();
    const registered = Object.fromEntries(full.commands.map((c) => [c.name(), c.description()]));
    const table = Object.fromEntries(
      Object.entries(COMMANDS).map(([name, e]) => [name, e.description]),
    );
    expect(table).toEqual(registered);
    const light = await buildProgram(argv('--help'));
    expect(light.commands.map((c) => c.name()).sort()).toEqual(
      [...Object.keys(COMMANDS), ...Object.keys(OFFICE_COMMANDS)].sort(),
    );
  });

  it('registers only the module of the command that runs', async () => {
    const program = await buildProgram(argv('config', 'example'));
    expect(program.commands.map((c) => c.name())).toEqual(['config']);
    const station = await buildProgram(argv('db', 'migrate'));
    expect(station.commands.map((c) => c.name()).sort()).toEqual(
      ['db', 'demo', 'safe-state', 'start'].sort(),
    );
  });
});
