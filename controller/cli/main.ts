import { Command, CommanderError } from 'commander';
import { ExitCode } from '../exit-codes.js';
import { VERSION } from '../version.js';
import type { CommandModule } from './context.js';
import { registerStation } from './commands/station.js';
import { registerAudit } from './commands/audit.js';
import { registerBoard } from './commands/board.js';
import { registerConfig } from './commands/config.js';
import { registerDoctor } from './commands/doctor.js';
import { registerCard } from './commands/card.js';
import { registerPki } from './commands/pki.js';
import { registerCert } from './commands/cert.js';
import { registerCrl } from './commands/crl.js';

/**
 * Every command group. Each module adds its subcommands under `jpki-locker`; add a line here
 * for a new group.
 */
const modules: CommandModule[] = [
  registerCert,
  registerCrl,
  registerStation,
  registerConfig,
  registerDoctor,
  registerAudit,
  registerBoard,
  registerCard,
  registerPki,
];

export function buildProgram(): Command {
  const program = new Command('jpki-locker')
    .description(
      'Station controller for document lockers and doors opened with a My Number card (JPKI)',
    )
    .version(VERSION, '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  program.configureHelp({ sortSubcommands: true });
  for (const register of modules) register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.commands.forEach(function override(c: Command) {
    c.exitOverride();
    c.commands.forEach(override);
  });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
      return;
    }
    throw err;
  }
}

await main(process.argv);
