import { readFile } from 'node:fs/promises';
import { MAX_COMMAND_CRL_BYTES } from '../../shared/mqtt/command-crl.js';
import { validateCommandCrlMessage } from '../../shared/mqtt/validate.js';
import type { Logger } from '../log.js';
import { CrlError } from '../trust/index.js';
import type { CommandCrl } from './command-crl.js';
import { COMMAND_CRL_FIX } from './command-verifier.js';
import type { LinkAlarms } from './link-alarms.js';

/** Base64 of the largest CRL, plus room for the rest of the message. */
const MAX_MESSAGE_BYTES = Math.ceil(MAX_COMMAND_CRL_BYTES / 3) * 4 + 1024;

/**
 * The command CA's CRL as it arrives (the retained `<prefix>/fleet/command-crl`, or a file at
 * start): bounded, schema-checked, then installed by {@link CommandCrl} only when a command
 * anchor signed it and it is newer, so a forged, foreign or replayed older CRL is ignored
 * (logged) and the installed one stays. Also keeps the alarms `command_crl_missing` /
 * `command_crl_stale` in line with the installed CRL's freshness.
 */
export class CommandCrlIntake {
  #chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly crl: CommandCrl,
    private readonly alarms: LinkAlarms,
    private readonly log: Logger,
    private readonly now: () => Date,
    /** Told each installed CRL's thisUpdate: a time the office signed (ClockGuard.witness). */
    private readonly signedTime: (ms: number, source: string) => void = () => {},
    /** Told when the freshness changed with time alone (to republish `state/crl`). */
    private readonly verdictChanged: () => void = () => {},
  ) {}

  #verdict: string | undefined;

  /** Takes one message of the command-CRL topic (installs in arrival order). */
  accept(payload: Buffer, source: string): void {
    if (payload.length === 0) return; // a retained message being cleared
    this.#chain = this.#chain
      .then(() => this.#accept(payload, source))
      .catch((err: unknown) => this.log.error({ err }, 'command CRL handling failed'));
  }

  /** Resolves when the CRLs received so far are handled. */
  idle(): Promise<void> {
    return this.#chain;
  }

  async #accept(payload: Buffer, source: string): Promise<void> {
    if (payload.length > MAX_MESSAGE_BYTES) {
      this.log.warn({ source, bytes: payload.length }, 'command CRL ignored: too large');
      return;
    }
    let der: Buffer;
    try {
      const m = validateCommandCrlMessage(JSON.parse(payload.toString('utf8')));
      if (!m.ok) throw new Error(m.errors.slice(0, 3).join('; '));
      der = Buffer.from(m.value.crl, 'base64');
    } catch (err) {
      this.log.warn({ source, err: (err as Error).message }, 'command CRL ignored: malformed');
      return;
    }
    await this.install(der, source);
  }

  /** Installs CRL bytes (DER or PEM); a CRL that is not good is logged and ignored. */
  async install(der: Uint8Array, source: string): Promise<void> {
    try {
      const r = await this.crl.install(der, source);
      if (r.thisUpdate) this.signedTime(Date.parse(r.thisUpdate), 'command CRL thisUpdate');
      this.log.info(
        { source, outcome: r.outcome, crlNumber: r.crlNumber, entries: r.entries },
        'command CRL',
      );
    } catch (err) {
      // Forged, signed by another CA, older than the installed one, or broken.
      const older = err instanceof CrlError && err.kind === 'not_newer';
      this.log[older ? 'info' : 'warn'](
        { source, code: (err as { code?: string }).code, err: (err as Error).message },
        'command CRL ignored; the installed one stays',
      );
    }
    this.evaluate();
  }

  /** Installs a CRL file (trust.commandCrlFiles, at start); a missing file is logged. */
  async installFile(file: string): Promise<void> {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      this.log.warn({ file, err: (err as Error).message }, 'cannot read a command CRL file');
      return;
    }
    await this.install(bytes, file);
  }

  /** Raises or clears the command-CRL alarms for the installed CRL's freshness now. */
  evaluate(): void {
    const s = this.crl.state(this.now());
    if (this.#verdict !== undefined && this.#verdict !== s.verdict) this.verdictChanged();
    this.#verdict = s.verdict;
    if (s.verdict === 'missing') {
      this.alarms.clear('command_crl_stale');
      this.alarms.raise(
        'command_crl_missing',
        'critical',
        `no valid CRL of the command CA: every command is refused; ${COMMAND_CRL_FIX}`,
      );
    } else if (s.verdict === 'stale' || s.verdict === 'future') {
      this.alarms.clear('command_crl_missing');
      this.alarms.raise(
        'command_crl_stale',
        'critical',
        `${s.verdict === 'future' ? 'thisUpdate in the future (clock?)' : `nextUpdate ${s.nextUpdate} passed`}: every command is refused; ${COMMAND_CRL_FIX}`,
      );
    } else {
      this.alarms.clear('command_crl_missing');
      this.alarms.clear('command_crl_stale');
    }
  }
}
