/** The card reader (PC/SC or simulated) with the JPKI client, as the flows' card source. */
import type { CardReader } from '../../hardware/card/card-reader.js';
import { BlockedPinRegistry, JpkiClient } from '../card/jpki-client.js';
import type { Logger } from '../log.js';
import type { CardSource, HolderCard } from '../domain/ports.js';

/** Card insertions from a CardReader, and JPKI sessions through the JPKI client. */
export class ReaderCardSource implements CardSource {
  readonly #blocked = new BlockedPinRegistry();
  constructor(
    private readonly reader: CardReader,
    private readonly log?: Logger,
  ) {}

  onCard(listener: (event: 'inserted' | 'removed') => void): () => void {
    return this.reader.onEvent((e) => {
      if (e.type === 'card-inserted') listener('inserted');
      else if (e.type === 'card-removed') listener('removed');
    });
  }

  async open(): Promise<HolderCard> {
    const session = await this.reader.connect();
    const client = new JpkiClient(session.transmit, { blocked: this.#blocked, log: this.log });
    return {
      kind: () => client.identify(),
      readAuthCertificate: () => client.readAuthCertificate(),
      pinStatus: async () => {
        const s = await client.pinStatus('auth');
        if (s.state === 'blocked') return { triesLeft: 0, blocked: true };
        // `verified` cannot happen on a fresh session (a reset clears it); show a full count.
        return { triesLeft: s.state === 'tries' ? s.triesLeft : 3, blocked: false };
      },
      verifyPin: async (pin) => {
        const r = await client.verifyPin('auth', pin);
        // `malformed` never reaches here: the route refuses anything but 4 digits.
        if (r.outcome === 'malformed') return { outcome: 'wrong', triesLeft: -1 };
        return r;
      },
      signNonce: (nonce) => client.signNonce(nonce, 'auth'),
      close: () => session.close('reset'),
    };
  }
}
