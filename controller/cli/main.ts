import { Command, CommanderError } from 'commander';
import { ExitCode } from '../exit-codes.js';
import { VERSION } from '../version.js';
import { COMMANDS, OFFICE_COMMANDS } from './commands/index.js';

/** The root program with no command registered yet. */
function rootProgram(): Command {
  const program = new Command('jpki-locker')
    .description(
      'Station controller for document lockers and doors opened with a My Number card (JPKI)',
    )
    .version(VERSION, '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  program.configureHelp({ sortSubcommands: true });
  return program;
}

/** The command a command line names: its first word that is not an option (after `help`). */
export function commandNamed(argv: readonly string[]): string | undefined {
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  const first = words[0] === 'help' ? words[1] : words[0];
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? first : undefined;
}

/**
 * Builds the program for one command line. A command that runs has its module loaded and
 * registered; otherwise (`--help`, `--version`, an unknown word) every command is listed from
 * the table alone, so nothing heavy is loaded to print a line.
 */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = rootProgram();
  const named = commandNamed(argv);
  if (named !== undefined) {
    const register = await COMMANDS[named]!.load();
    register(program);
  } else {
    for (const [name, entry] of Object.entries(COMMANDS)) {
      program.command(name).description(entry.description);
    }
    for (const [name, description] of Object.entries(OFFICE_COMMANDS)) {
      program
        .command(name)
        .description(description)
        .allowUnknownOption()
        .allowExcessArguments()
        .helpOption(false)
        .action(() => {
          process.stderr.write(
            `jpki-locker: \`${name}\` is the office side: run it as \`jpki-locker ${name} …\` (bin/jpki-locker.js)\n`,
          );
          process.exitCode = ExitCode.Usage;
        });
    }
  }
  program.commands.forEach(function override(c: Command) {
    c.exitOverride();
    c.commands.forEach(override);
  });
  return program;
}

/** Every command registered, as `--help` of a full build would list them (for tests). */
export async function buildFullProgram(): Promise<Command> {
  const program = rootProgram();
  const loaded = new Set<unknown>();
  for (const entry of Object.values(COMMANDS)) {
    const register = await entry.load();
    if (loaded.has(register)) continue;
    loaded.add(register);
    register(program);
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(argv);
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

// Run when this file is the process's entry point (`node dist/controller/cli/main.js`, as the
// systemd unit does); bin/jpki-locker.js imports it and calls main() itself.
const entry = process.argv[1];
if (entry !== undefined && /[\\/]controller[\\/]cli[\\/]main\.[jt]s$/.test(entry)) {
  await main(process.argv);
}
