import type { CommandResponse } from '../../shared/mqtt/commands.js';
import type { Db } from '../storage/db.js';

/** What the replay cache knows about a command id. */
export type CommandLogEntry =
  | { state: 'in_progress' | 'interrupted'; contentHash: string }
  | { state: 'done'; contentHash: string; response: CommandResponse };

/**
 * The replay cache (table `mqtt_commands`, migration 020): every verified command id with the
 * hash of its signed content and the answer given. Entries live until `expiresAt` plus a
 * margin: after that the command is refused as expired anyway.
 */
export class CommandLog {
  readonly #get;
  readonly #begin;
  readonly #finish;
  readonly #interrupt;
  readonly #purge;
  constructor(db: Db) {
    this.#get = db.prepare<
      [string],
      {
        content_hash: string;
        state: 'in_progress' | 'done' | 'interrupted';
        response: string | null;
      }
    >('SELECT content_hash, state, response FROM mqtt_commands WHERE id = ?');
    this.#begin = db.prepare<[string, string, string, string, string]>(
      "INSERT INTO mqtt_commands(id, content_hash, kind, received_at, expires_at, state) VALUES (?, ?, ?, ?, ?, 'in_progress')",
    );
    this.#finish = db.prepare<[string, string]>(
      "UPDATE mqtt_commands SET state = 'done', response = ? WHERE id = ?",
    );
    this.#interrupt = db.prepare(
      "UPDATE mqtt_commands SET state = 'interrupted' WHERE state = 'in_progress'",
    );
    this.#purge = db.prepare<[string]>('DELETE FROM mqtt_commands WHERE expires_at < ?');
  }

  get(id: string): CommandLogEntry | undefined {
    const row = this.#get.get(id);
    if (!row) return undefined;
    if (row.state === 'done' && row.response)
      return {
        state: 'done',
        contentHash: row.content_hash,
        response: JSON.parse(row.response) as CommandResponse,
      };
    return {
      state: row.state === 'done' ? 'interrupted' : row.state,
      contentHash: row.content_hash,
    };
  }

  /** Records that execution starts (before the handler runs: at most once, even across a crash). */
  begin(id: string, contentHash: string, kind: string, receivedAt: Date, expiresAt: string): void {
    this.#begin.run(id, contentHash, kind, receivedAt.toISOString(), expiresAt);
  }

  finish(id: string, response: CommandResponse): void {
    this.#finish.run(JSON.stringify(response), id);
  }

  /** At start-up: commands left in progress by a crash are marked interrupted. */
  markInterrupted(): number {
    return this.#interrupt.run().changes;
  }

  /** Drops entries whose command expired before `before`. */
  purge(before: Date): number {
    return this.#purge.run(before.toISOString()).changes;
  }
}
