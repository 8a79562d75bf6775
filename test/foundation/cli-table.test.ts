import { describe, expect, it } from 'vitest';
import { OFFICE_COMMANDS } from '../../controller/cli/commands/index.js';
import { buildOfficeProgram } from '../../office/cli/main.js';
import { runCli } from '../support/cli.js';

describe('the command table and the office side', () => {
  it('lists console and office with the lines office/ registers', () => {
    const office = buildOfficeProgram();
    expect(Object.fromEntries(office.commands.map((c) => [c.name(), c.description()]))).toEqual(
      OFFICE_COMMANDS,
    );
  });

  it('`jpki-locker --help` names both sides; `jpki-locker office --help` is the office tool', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const name of ['start', 'crl', 'console', 'office']) expect(help.stdout).toContain(name);
    const office = await runCli(['office', '--help']);
    expect(office.code).toBe(0);
    expect(office.stdout).toContain('assign');
  });
});
