/** CRL bytes as they stream in: DER as is, or PEM text decoded to DER on the way. */
import { CrlError, DerError } from './errors.js';

/**
 * Turns a stream of PEM text (`-----BEGIN X509 CRL-----`) into DER chunks, decoding base64
 * in multiples of four characters as it arrives.
 */
async function* pemToDer(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let text = '';
  let inBody = false;
  let done = false;
  for await (const chunk of chunks) {
    if (done) continue;
    text += Buffer.from(chunk).toString('latin1');
    if (!inBody) {
      const m = /-----BEGIN (X509 CRL|CRL)-----\r?\n?/.exec(text);
      if (!m) {
        if (text.length > 4096)
          throw new CrlError('malformed', 'PEM text without a X509 CRL block');
        continue;
      }
      text = text.slice(m.index + m[0].length);
      inBody = true;
    }
    const end = text.indexOf('-----END');
    let body: string;
    if (end >= 0) {
      body = text.slice(0, end).replace(/\s+/g, '');
      done = true;
      text = '';
    } else {
      const clean = text.replace(/\s+/g, '');
      const usable = clean.length - (clean.length % 4);
      body = clean.slice(0, usable);
      text = clean.slice(usable);
    }
    if (body.length) yield new Uint8Array(Buffer.from(body, 'base64'));
  }
  if (!done) throw new DerError('truncated', 'PEM CRL block has no END line');
}

/** Chooses DER or PEM by the first bytes. */
export async function* derChunks(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = chunks[Symbol.asyncIterator]();
  // However the consumer stops (a parse error, an abort), the source is closed: its finally
  // runs (a file handle is released at once, not left to the garbage collector).
  try {
    const first = await it.next();
    if (first.done) return;
    const rest: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({ next: () => it.next() }),
    };
    const head = first.value;
    const isPem =
      head.length > 0 &&
      head[0] !== 0x30 &&
      Buffer.from(head.subarray(0, 1024)).toString('latin1').includes('-----BEGIN');
    if (isPem) {
      yield* pemToDer(
        (async function* () {
          yield head;
          yield* rest;
        })(),
      );
    } else {
      yield head;
      yield* rest;
    }
  } finally {
    await it.return?.();
  }
}
