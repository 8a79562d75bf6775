import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ExitCode } from '../../exit-codes.js';
import { checkReceiptText } from '../../receipt/receipt.js';
import { action, UsageError } from '../context.js';

/**
 * `receipt verify FILE`: checks a collection receipt (`data.receipt` of `delivery.collected`,
 * or the whole event) offline and prints what it proves. Exit 0 valid, 1 not valid, 2 when
 * the file cannot be read.
 */
export function registerReceipt(program: Command): void {
  const receipt = program
    .command('receipt')
    .description('collection receipts signed by the holder’s card');
  receipt
    .command('verify')
    .description(
      'check a receipt (JSON: the receipt object or its delivery.collected event); print the station, deliveries, time and holder hash; exit 0 valid, 1 not',
    )
    .argument('<file>', 'JSON file; - reads standard input')
    .option('--json', 'print the result as JSON')
    .action(
      action((file: string, opts: { json?: boolean }) => {
        let text: string;
        try {
          text = readFileSync(file === '-' ? 0 : file, 'utf8');
        } catch (err) {
          throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
        }
        const r = checkReceiptText(text);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(r)}\n`);
        } else {
          const shown = r.valid ? r : r.claims;
          process.stdout.write(
            r.valid ? 'receipt valid\n' : `receipt NOT valid (${r.reason}): ${r.detail}\n`,
          );
          if (shown) {
            const claimed = r.valid ? '' : ' (claimed)';
            process.stdout.write(
              `station:    ${shown.station}${claimed}\n` +
                `deliveries: ${shown.deliveryIds.join(', ')}${claimed}\n` +
                `time:       ${shown.at}${claimed}\n` +
                (shown.holderSpkiSha256 ? `holder:     ${shown.holderSpkiSha256}${claimed}\n` : ''),
            );
          }
        }
        return r.valid ? ExitCode.Ok : ExitCode.Failure;
      }),
    );
}
