import type { Command } from 'commander';
import { AccountStore, passwordProblem, validAccountName } from '../console/accounts.js';
import { openConsoleDb } from '../console/console-server.js';
import { isRole, ROLES } from '../console/roles.js';
import { officeAction as action, OfficeExit as ExitCode, UsageError } from './usage.js';

/** Reads a password from stdin (one line; the newline is not part of it). */
async function passwordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password: ');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  const problem = passwordProblem(password);
  if (problem) throw new UsageError(problem);
  return password;
}

function withStore<T>(dataDir: string, fn: (s: AccountStore) => Promise<T> | T): Promise<T> {
  const db = openConsoleDb(dataDir);
  return Promise.resolve(fn(new AccountStore(db, () => new Date()))).finally(() => db.close());
}

function checkedName(name: string): string {
  if (!validAccountName(name))
    throw new UsageError(
      `account name ${JSON.stringify(name)}: lower-case letters, digits, . _ -; at most 64`,
    );
  return name;
}

/** `console user add|list|remove|passwd`: the console's accounts (password from stdin). */
export function registerConsoleUsers(consoleCmd: Command): void {
  const user = consoleCmd.command('user').description("manage the console's operator accounts");
  const data = (c: Command) =>
    c.option('--data <dir>', "the console's data folder", './console-data');

  data(user.command('add <name>'))
    .description('add an account; the password is read from stdin')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .action(
      action(async (name: string, o: { role: string; data: string }) => {
        checkedName(name);
        if (!isRole(o.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
        const role = o.role;
        const password = await passwordFromStdin();
        const added = await withStore(o.data, (s) => s.add(name, role, password));
        if (!added) {
          process.stderr.write(`jpki-locker: account ${name} exists (use user passwd)\n`);
          return ExitCode.Failure;
        }
        process.stdout.write(`${JSON.stringify({ added: name, role })}\n`);
        return ExitCode.Ok;
      }),
    );

  data(user.command('list'))
    .description('list the accounts as JSON lines (never the password hashes)')
    .action(
      action(async (o: { data: string }) => {
        for (const a of await withStore(o.data, (s) => s.list()))
          process.stdout.write(`${JSON.stringify(a)}\n`);
        return ExitCode.Ok;
      }),
    );

  data(user.command('remove <name>'))
    .description('remove an account and end its sessions')
    .action(
      action(async (name: string, o: { data: string }) => {
        const removed = await withStore(o.data, (s) => s.remove(checkedName(name)));
        if (!removed) {
          process.stderr.write(`jpki-locker: no account ${name}\n`);
          return ExitCode.Failure;
        }
        process.stdout.write(`${JSON.stringify({ removed: name })}\n`);
        return ExitCode.Ok;
      }),
    );

  data(user.command('passwd <name>'))
    .description('set a new password (from stdin), lift a lock-out, end the sessions')
    .action(
      action(async (name: string, o: { data: string }) => {
        checkedName(name);
        const password = await passwordFromStdin();
        const changed = await withStore(o.data, (s) => s.setPassword(name, password));
        if (!changed) {
          process.stderr.write(`jpki-locker: no account ${name}\n`);
          return ExitCode.Failure;
        }
        process.stdout.write(`${JSON.stringify({ changed: name })}\n`);
        return ExitCode.Ok;
      }),
    );
}
