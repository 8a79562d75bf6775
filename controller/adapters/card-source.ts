/** The card reader (PC/SC or simulated) with the JPKI client, as the flows' card source. */
import type { CardReader } from '../../hardware/card/card-reader.js';
import { JpkiClient } from '../card/jpki-client.js';
import type { Logger } from '../log.js';
import type { CardSource, HolderCard } from '../domain/ports.js';

/**
 * Card insertions from a CardReader, and JPKI sessions through the JPKI client. Each session
 * gets its own client: the blocked-PIN state is read from the card every time (the empty
 * VERIFY spends nothing), never carried across sessions by certificate hash — a card with a
 * copied certificate answering `69 83` cannot mark the genuine card blocked.
 */
export class ReaderCardSource implements CardSource {
  /** The (matching) reader of the last card inserted. */
  #current: string | undefined;

  /**
   * @param readerFilter `card.reader` (or a door's `doors[].reader`): only readers whose name
   *   contains this text count (empty: any reader).
   * @param exclude readers whose name contains one of these never count (the doors' own
   *   readers, for the kiosk: a card there is that door's, never the kiosk's).
   */
  constructor(
    private readonly reader: CardReader,
    private readonly log?: Logger,
    private readonly readerFilter = '',
    private readonly exclude: readonly string[] = [],
  ) {}

  #matches(name: string): boolean {
    if (this.exclude.some((x) => x !== '' && name.includes(x))) return false;
    return this.readerFilter === '' || name.includes(this.readerFilter);
  }

  onCard(listener: (event: 'inserted' | 'removed') => void): () => void {
    return this.reader.onEvent((e) => {
      if (e.type === 'card-inserted' && this.#matches(e.reader)) {
        this.#current = e.reader;
        listener('inserted');
      } else if (e.type === 'card-removed' && this.#matches(e.reader)) listener('removed');
    });
  }

  async open(): Promise<HolderCard> {
    // Only a source that sees every reader may let the reader pick the card.
    const any = this.readerFilter === '' && this.exclude.length === 0;
    const name = any
      ? undefined
      : (this.#current ??
        this.reader.readers().find((r) => r.cardPresent && this.#matches(r.name))?.name);
    if (!any && !name)
      throw Object.assign(new Error('no card in the configured reader'), { code: 'card_removed' });
    const session = await this.reader.connect(name ? { reader: name } : {});
    const client = new JpkiClient(session.transmit, { log: this.log });
    return { ...client.holderCard(() => session.close('reset')), reader: session.reader };
  }
}
