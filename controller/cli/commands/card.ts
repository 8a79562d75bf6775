import os from 'node:os';
import { X509Certificate } from 'node:crypto';
import type { Command } from 'commander';
import { HardwareLostError } from '../../../shared/errors.js';
import { CardReaderError } from '../../../shared/apdu/errors.js';
import { Secret } from '../../../shared/secret.js';
import { PcscCardReader } from '../../../hardware/card/pcsc-card-reader.js';
import type { CardSession } from '../../../hardware/card/card-reader.js';
import { VirtualJpkiCard } from '../../../firmware-host/jpki-card/jpki-card.js';
import { loadCardProfile } from '../../../firmware-host/jpki-card/profile.js';
import { VpcdConnector } from '../../../firmware-host/jpki-card/vpcd.js';
import { AUTH_PIN_PATTERN } from '../../../shared/apdu/jpki.js';
import { JpkiClient, spkiSha256 } from '../../card/jpki-client.js';
import { ExitCode } from '../../exit-codes.js';
import { PCSC_ACCESS_DENIED, pcscAccessRemedy } from '../../doctor/pcsc-access.js';
import { action, UsageError } from '../context.js';

/** How long `card read` / `card prove` wait for a card to be present. */
const CARD_WAIT_MS = 10_000;

/** What `card read` prints (and `--json` emits, with these keys). */
export interface CardReadOutput {
  reader: string;
  token: string;
  subject: string;
  issuer: string;
  serial: string;
  notAfter: string;
  spkiSha256: string;
  /** Tries left on the authentication PIN; 0 = blocked. */
  pinTriesLeft: number | null;
}

function parseHostPort(s: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port < 1 || port > 65535)
    throw new UsageError(`--vpcd wants HOST:PORT, got ${s}`);
  return { host: m[1], port };
}

/** Opens PC/SC, waits for a card, runs `fn` with a session, and always cleans up. */
async function withCard<T>(
  readerName: string | undefined,
  fn: (s: CardSession) => Promise<T>,
): Promise<T> {
  const reader = new PcscCardReader({ reconnectMinMs: 5_000, reconnectMaxMs: 5_000 });
  try {
    await reader.start();
    if (!reader.serviceAvailable) {
      const cause = (reader.lastServiceError as Error | undefined)?.message ?? '';
      if (PCSC_ACCESS_DENIED.test(cause)) {
        const user = os.userInfo().username;
        throw new HardwareLostError(
          'card-reader',
          `pcscd refused user ${user} (${cause}): ${pcscAccessRemedy(user)}`,
        );
      }
      throw new HardwareLostError('card-reader', 'pcscd is not running');
    }
    if (readerName && !reader.readers().some((r) => r.name === readerName))
      throw new HardwareLostError('card-reader', `no reader named "${readerName}"`);
    try {
      await reader.waitForCard({
        ...(readerName ? { reader: readerName } : {}),
        timeoutMs: CARD_WAIT_MS,
      });
    } catch (err) {
      if (err instanceof CardReaderError && err.kind === 'timeout')
        throw new CardReaderError(
          'no_card',
          `no card in ${readerName ?? 'any reader'} within ${CARD_WAIT_MS / 1000} s`,
        );
      throw err;
    }
    const session = await reader.connect(readerName ? { reader: readerName } : {});
    try {
      return await fn(session);
    } finally {
      await session.close('reset');
    }
  } finally {
    await reader.stop();
  }
}

function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

async function readStdinLine(): Promise<string> {
  let data = '';
  for await (const chunk of process.stdin) {
    data += String(chunk);
    if (data.includes('\n')) break;
  }
  return data.split(/\r?\n/)[0] ?? '';
}

/** `card emulate`, `card read`, `card prove`: the JPKI card from the command line. */
export function registerCard(program: Command): void {
  const card = program.command('card').description('My Number card (JPKI): read, prove, emulate');

  card
    .command('emulate')
    .description('plug a virtual JPKI card into pcscd through vpcd until interrupted')
    .requiredOption('--profile <dir>', 'card profile directory (from `pki make-test`)')
    .option('--vpcd <host:port>', 'vpcd address', '127.0.0.1:35963')
    .option('--pin <pin>', 'authentication PIN of the virtual card (4 digits)')
    .action(
      action(async (opts: { profile: string; vpcd: string; pin?: string }) => {
        const { host, port } = parseHostPort(opts.vpcd);
        const profile = loadCardProfile(opts.profile);
        if (opts.pin !== undefined) {
          if (!AUTH_PIN_PATTERN.test(opts.pin)) throw new UsageError('--pin must be 4 digits');
          profile.authPin = opts.pin;
        }
        const vcard = new VirtualJpkiCard(profile);
        const connector = new VpcdConnector(vcard, { host, port, reconnectMs: 500 });
        connector.onLink((e) =>
          process.stdout.write(
            e === 'connected'
              ? `card inserted into vpcd ${host}:${port}\n`
              : `vpcd link lost; retrying\n`,
          ),
        );
        process.stdout.write(
          `emulating card ${profile.label} on vpcd ${host}:${port} (Ctrl-C to remove)\n`,
        );
        await connector.insert();
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await connector.remove();
        process.stdout.write('card removed\n');
        return ExitCode.Ok;
      }),
    );

  card
    .command('read')
    .description(
      "print the card's token, authentication certificate facts and PIN tries left (spends none)",
    )
    .option('--reader <name>', 'PC/SC reader name (default: the first reader with a card)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { reader?: string; json?: boolean }) => {
        const out = await withCard(opts.reader, async (session) => {
          const client = new JpkiClient(session.transmit);
          await client.selectApplication();
          const token = await client.readToken();
          const der = await client.readAuthCertificate();
          const cert = new X509Certificate(der);
          const result: CardReadOutput = {
            reader: session.reader,
            token,
            subject: oneLine(cert.subject),
            issuer: oneLine(cert.issuer),
            serial: cert.serialNumber.toLowerCase(),
            notAfter: new Date(cert.validTo).toISOString(),
            spkiSha256: spkiSha256(der),
            pinTriesLeft: await client.pinTriesLeft('auth'),
          };
          return result;
        });
        if (opts.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        else
          for (const [k, v] of Object.entries(out))
            process.stdout.write(`${`${k}:`.padEnd(14)}${v === null ? 'verified' : String(v)}\n`);
        return ExitCode.Ok;
      }),
    );

  card
    .command('prove')
    .description(
      'run the proof of presence (PIN, signature over a fresh nonce); exit 0 only when proven',
    )
    .option('--reader <name>', 'PC/SC reader name (default: the first reader with a card)')
    .option('--pin-stdin', 'read the PIN from the first line of standard input')
    .action(
      action(async (opts: { reader?: string; pinStdin?: boolean }) => {
        if (!opts.pinStdin) throw new UsageError('give the PIN on standard input with --pin-stdin');
        const pin = new Secret(await readStdinLine());
        const result = await withCard(opts.reader, (session) =>
          new JpkiClient(session.transmit).proveHolder({ pin }),
        );
        if (result.outcome === 'proven') {
          process.stdout.write(`proof: proven (spkiSha256 ${result.spkiSha256})\n`);
          return ExitCode.Ok;
        }
        const tries = result.reason === 'wrong_pin' ? `, ${result.triesLeft} tries left` : '';
        process.stdout.write(`proof: refused (${result.reason}${tries})\n`);
        return ExitCode.Failure;
      }),
    );
}
