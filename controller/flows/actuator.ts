/**
 * Compartment unlocks, recorded around the hardware: the intent is committed (audit row and
 * outbox event) before any output is driven, the result (what the sensor read back) after.
 * A board error is a result (`opened: false` with its code), never an exception.
 */
import type { Actor, ActuationCause } from '../domain/model.js';
import type { CompartmentHardware, UnlockOutcome } from '../domain/ports.js';
import type { Ledger } from './ledger/ledger.js';

/** See the module comment. */
export class CompartmentActuator {
  constructor(
    private readonly ledger: Ledger,
    readonly hardware: CompartmentHardware | undefined,
    /** Told of every decided opening before the lock is driven (see CompartmentWatch). */
    private readonly watch?: { authorise(id: string): void },
  ) {}

  /**
   * Unlocks `ids` together. `sent` is called once every unlock command is on its way.
   * @throws whatever recording the intent throws (nothing was driven then).
   */
  async unlockAll(
    ids: readonly string[],
    cause: ActuationCause,
    actor: Actor,
    sent?: () => void,
  ): Promise<UnlockOutcome[]> {
    const hw = this.hardware;
    if (!hw) return ids.map(() => ({ opened: false, reason: 'no_board' }));
    this.ledger.attempts.recordIntent('compartment', ids, cause, actor);
    for (const id of ids) this.watch?.authorise(id);
    const promises = ids.map((id) => hw.unlock(id));
    sent?.();
    const results = await Promise.all(
      promises.map((p) =>
        p.catch((e: unknown): UnlockOutcome => ({
          opened: false,
          reason: (e as { code?: string })?.code ?? 'board_error',
        })),
      ),
    );
    ids.forEach((id, i) => {
      const r = results[i]!;
      this.ledger.attempts.recordActuation(
        'compartment',
        id,
        cause,
        r.opened,
        actor,
        r.opened ? '' : r.reason,
      );
    });
    return results;
  }
}
