import { createHash } from 'node:crypto';
import type { IPublishPacket } from 'mqtt';
import type { CommandResponse, CommandResult } from '../../shared/mqtt/commands.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/outbox.js';
import type { Db } from '../storage/db.js';
import type { Answer, CommandAnswers } from './command-answers.js';
import type { CommandLog } from './command-log.js';
import type { CheckedCommand, CommandVerifier } from './command-verifier.js';
import type { ClockGuard } from './clock-guard.js';
import type { RefusalFilter } from './refusal-filter.js';
import type { CommandHandler } from './types.js';

/** What command intake works with. */
export interface CommandIntakeDeps {
  stationId: string;
  /** mqtt.clockSkewSec: the replay cache keeps entries twice this past their expiry. */
  clockSkewSec: number;
  db: Db;
  outbox: Outbox;
  handler: CommandHandler;
  verifier: CommandVerifier;
  commands: CommandLog;
  clock: ClockGuard;
  refusals: RefusalFilter;
  answers: CommandAnswers;
  log: Logger;
  now: () => Date;
  /** Resolves when what must come before a command is done (a command CRL being installed). */
  ready?: (() => Promise<void>) | undefined;
}

/**
 * Signed commands from `cmd`, one at a time in arrival order: clock check, envelope checks
 * (CommandVerifier), the replay cache (CommandLog: at most once, even across a crash), the
 * CommandHandler, then the answer recorded with its `command.handled` event and sent.
 */
export class CommandIntake {
  #chain: Promise<void> = Promise.resolve();

  constructor(private readonly d: CommandIntakeDeps) {}

  /** Queues one payload (already size-checked) behind the commands before it. */
  enqueue(payload: Buffer, packet: IPublishPacket): void {
    this.#chain = this.#chain
      .then(() => this.d.ready?.())
      .then(() => this.#handle(payload, packet))
      .catch((err: unknown) => this.d.log.error({ err }, 'command handling failed'));
  }

  /** Resolves when the queued commands are done. */
  idle(): Promise<void> {
    return this.#chain;
  }

  /**
   * Drops replay-cache entries of commands that expired more than twice the clock skew before
   * the high-water mark of station time (never the wall clock, which can be set forward and
   * back): a command refused as `expired` at any time not behind the mark. Commands are
   * refused while the clock is behind the mark, so a purged command can never run again.
   * Run at start and on every connect, so a station that runs for months keeps the table small.
   */
  purge(): void {
    try {
      this.d.clock.observe();
      this.d.clock.persist();
      const mark = this.d.clock.highWaterMs;
      if (mark > 0) this.d.commands.purge(new Date(mark - 2 * this.d.clockSkewSec * 1000));
    } catch (err) {
      this.d.log.warn({ err }, 'cannot purge the command replay cache');
    }
  }

  async #handle(payload: Buffer, packet: IPublishPacket): Promise<void> {
    const { answers } = this.d;
    const contentHash = createHash('sha256').update(payload).digest('hex');
    const answer = answers.to(packet);
    const clock = this.d.clock.observe();
    if (!clock.ok) {
      answers.refuse(answer, contentHash, {
        ok: false,
        reason: 'clock_jump',
        commandId: null,
        kind: null,
        authenticated: false,
        detail: clock.detail,
      });
      return;
    }
    const now = this.d.now();
    const checked = this.d.verifier.verify(payload, packet.retain, now);
    if (!checked.ok) {
      answers.refuse(answer, contentHash, checked);
      return;
    }
    const { claims } = checked;
    const seen = this.d.commands.get(claims.id);
    if (seen) {
      if (seen.contentHash !== checked.contentHash) {
        answers.refuse(answer, contentHash, {
          ok: false,
          reason: 'replayed',
          commandId: claims.id,
          kind: claims.kind,
          authenticated: true,
          detail: 'command id reused for other content',
        });
      } else if (!this.d.refusals.allowAnswer()) {
        // A flood of copies of a handled command: nothing executes, answers are rate-limited.
      } else if (seen.state === 'done') {
        const { v: _v, station: _s, at: _a, ...prev } = seen.response;
        answer({ ...prev, duplicate: true });
      } else {
        answer({
          commandId: claims.id,
          kind: claims.kind,
          status: 'rejected',
          reason: seen.state,
          duplicate: true,
        });
      }
      return;
    }
    this.d.commands.begin(
      claims.id,
      checked.contentHash,
      claims.kind,
      now,
      new Date(claims.expiresAt).toISOString(),
    );
    const run = this.#executeAndAnswer(checked, answer);
    // crl.available downloads a file: it runs beside the command chain, so a slow URL never
    // holds up the commands after it (an emergency remote.open is answered at once).
    if (claims.kind === 'crl.available')
      run.catch((err: unknown) => this.d.log.error({ err }, 'command handling failed'));
    else await run;
  }

  /** Executes a verified, begun command, records the answer and sends it. */
  async #executeAndAnswer(checked: CheckedCommand, answer: Answer): Promise<void> {
    const { claims } = checked;
    const result = await this.#execute(checked);
    const response: CommandResponse = {
      v: 1,
      commandId: claims.id,
      kind: claims.kind,
      station: this.d.stationId,
      status: result.accepted ? 'accepted' : 'rejected',
      ...(result.accepted ? {} : { reason: result.reason }),
      ...(result.detail ? { detail: result.detail } : {}),
      duplicate: false,
      at: this.d.now().toISOString(),
    };
    try {
      this.d.db.transaction(() => {
        this.d.commands.finish(claims.id, response);
        this.d.outbox.append({
          kind: 'command.handled',
          data: {
            commandId: claims.id,
            kind: claims.kind,
            status: response.status,
            ...(response.reason ? { reason: response.reason } : {}),
          },
        });
      })();
    } catch (err) {
      // The outbox is full (its alarm is up): the answer is still recorded and sent, so the
      // command is not left "in progress" and a repeat gets the same answer.
      this.d.log.error(
        { err, commandId: claims.id },
        'cannot record command.handled; answering anyway',
      );
      this.d.commands.finish(claims.id, response);
    }
    this.d.log.info(
      { commandId: claims.id, kind: claims.kind, status: response.status, reason: response.reason },
      'command answered',
    );
    const { v: _v, station: _s, at: _a, ...r } = response;
    answer(r);
  }

  async #execute(checked: CheckedCommand): Promise<CommandResult> {
    try {
      return await this.d.handler.handle({
        claims: checked.claims,
        signerSpkiSha256: checked.signerSpkiSha256,
        receivedAt: this.d.now(),
      });
    } catch (err) {
      this.d.log.error({ err, commandId: checked.claims.id }, 'command handler failed');
      return { accepted: false, reason: 'handler_error' };
    }
  }
}
