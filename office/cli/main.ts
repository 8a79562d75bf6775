/**
 * The municipality's side of the command line: `jpki-locker console ...` (the operator
 * console and its accounts) and `jpki-locker office ...` (the back-office tool). The bin
 * dispatches these two groups here; they import nothing of the station's code.
 */
import { Command, CommanderError } from 'commander';
import { OFFICE_VERSION } from '../version.js';
import { registerConsole } from './console-command.js';
import { registerOffice } from './office-command.js';
import { OfficeExit } from './usage.js';

/** The program with the `console` and `office` groups. */
export function buildOfficeProgram(): Command {
  const program = new Command('jpki-locker')
    .description('jpki-locker, office side: the operator console and the back-office tool')
    .version(OFFICE_VERSION, '-V, --version')
    .showHelpAfterError()
    .exitOverride()
    // `console --data X` serves, `console user add N --data X` manages accounts: each
    // command's options are its own.
    .enablePositionalOptions();
  registerConsole(program);
  registerOffice(program);
  program.commands.forEach(function override(c: Command) {
    c.exitOverride();
    c.commands.forEach(override);
  });
  return program;
}

/**
 * Runs `argv` (process.argv: node, script, group, ...). Sets process.exitCode: 0 ok,
 * 1 failure, 2 usage.
 */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildOfficeProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? OfficeExit.Ok : OfficeExit.Usage;
      return;
    }
    throw err;
  }
}
