import path from 'node:path';
import type { Command } from 'commander';
import { makeTestPki } from '../../pki/test-pki.js';
import { ExitCode } from '../../exit-codes.js';
import { action, UsageError } from '../context.js';

/** `pki make-test`: a JPKI-shaped test hierarchy with card profiles. */
export function registerPki(program: Command): void {
  const pki = program.command('pki').description('test PKI for demos and tests');
  pki
    .command('make-test')
    .description('write JPKI-like roots, CRLs, keys and one virtual-card profile per holder')
    .requiredOption('--out <dir>', 'output directory')
    .option('--holders <n>', 'number of genuine card holders (1-99)', '2')
    .action(
      action(async (opts: { out: string; holders: string }) => {
        const holders = Number(opts.holders);
        if (!/^\d+$/.test(opts.holders) || holders < 1 || holders > 99)
          throw new UsageError('--holders must be a number from 1 to 99');
        const m = await makeTestPki({ outDir: opts.out, holders });
        const p = (rel: string): string => path.join(opts.out, rel);
        process.stdout.write(`auth root:  ${p(m.roots.auth)}\nsign root:  ${p(m.roots.sign)}\n`);
        process.stdout.write(`auth CRL:   ${p(m.crls.auth)}\nsign CRL:   ${p(m.crls.sign)}\n`);
        for (const prof of m.profiles)
          process.stdout.write(`${prof.kind.padEnd(8)}    ${p(prof.dir)}\n`);
        return ExitCode.Ok;
      }),
    );
}
