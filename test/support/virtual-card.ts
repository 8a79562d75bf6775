/** Puts a virtual JPKI card into a private pcscd's vpcd reader, for tests and benchmarks. */
import type { Logger } from 'pino';
import type { CardReader, CardReaderEvent } from '../../hardware/card/card-reader.js';
import {
  VirtualJpkiCard,
  type VirtualJpkiCardOptions,
} from '../../firmware-host/jpki-card/jpki-card.js';
import type { CardProfile } from '../../firmware-host/jpki-card/profile.js';
import { VpcdConnector } from '../../firmware-host/jpki-card/vpcd.js';

export interface InsertedCard {
  card: VirtualJpkiCard;
  connector: VpcdConnector;
  /** Pulls the card out and waits until the reader saw it go. */
  remove(): Promise<void>;
}

/** Resolves on the first event that matches. */
export function nextEvent(
  reader: CardReader,
  match: (e: CardReaderEvent) => boolean,
): Promise<CardReaderEvent> {
  return new Promise((resolve) => {
    const off = reader.onEvent((e) => {
      if (match(e)) {
        off();
        resolve(e);
      }
    });
  });
}

/** Connects a virtual card to vpcd and waits until `reader` reports it inserted. */
export async function insertVirtualCard(
  reader: CardReader,
  port: number,
  readerName: string,
  profile: CardProfile,
  options: VirtualJpkiCardOptions & { reconnectMs?: number; log?: Logger } = {},
): Promise<InsertedCard> {
  const card = new VirtualJpkiCard(profile, options);
  const connector = new VpcdConnector(card, {
    port,
    ...(options.reconnectMs ? { reconnectMs: options.reconnectMs } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const seen = reader.readers().some((r) => r.name === readerName && r.cardPresent)
    ? Promise.resolve()
    : nextEvent(reader, (e) => e.type === 'card-inserted' && e.reader === readerName);
  await connector.insert();
  await seen;
  return {
    card,
    connector,
    async remove() {
      const gone = reader.readers().some((r) => r.name === readerName && r.cardPresent)
        ? nextEvent(reader, (e) => e.type === 'card-removed' && e.reader === readerName)
        : Promise.resolve();
      await connector.remove();
      await gone;
    },
  };
}
