/**
 * Reading the total length of a DER element from its first bytes, so an EF longer than the
 * certificate it holds can be read exactly.
 *
 * ```
 * identifier octet(s) | length octets | contents
 * length: 0xxxxxxx            short form, 0..127
 *         1nnnnnnn + n bytes  long form, big-endian, n = 1..4 here (0x80 = indefinite: not DER)
 * ```
 * Source: ITU-T X.690 (02/2021) §8.1.2-8.1.3, §10.1 (DER uses the definite, shortest form).
 */
import { CardProtocolError } from './errors.js';

/** Header of a DER element: where its contents start and its total length in bytes. */
export interface DerHeader {
  tag: number;
  headerLength: number;
  contentLength: number;
  totalLength: number;
}

/**
 * Parses the identifier and length octets at the start of `bytes`. Returns undefined when more
 * bytes are needed to decide. @throws CardProtocolError('bad_der') on a malformed header or a
 * total length above `maxTotal`.
 */
export function parseDerHeader(bytes: Uint8Array, maxTotal = 0x8000): DerHeader | undefined {
  if (bytes.length < 2) return undefined;
  const tag = bytes[0]!;
  if ((tag & 0x1f) === 0x1f) throw new CardProtocolError('bad_der', 'multi-byte DER tag');
  const first = bytes[1]!;
  let headerLength: number;
  let contentLength: number;
  if (first < 0x80) {
    headerLength = 2;
    contentLength = first;
  } else {
    const n = first & 0x7f;
    if (n === 0) throw new CardProtocolError('bad_der', 'indefinite length is not DER');
    if (n > 4) throw new CardProtocolError('bad_der', `length of ${n} octets`);
    if (bytes.length < 2 + n) return undefined;
    contentLength = 0;
    for (let i = 0; i < n; i++) contentLength = contentLength * 256 + bytes[2 + i]!;
    if (bytes[2]! === 0 || (n === 1 && contentLength < 0x80))
      throw new CardProtocolError('bad_der', 'length not in shortest form');
    headerLength = 2 + n;
  }
  const totalLength = headerLength + contentLength;
  if (totalLength > maxTotal)
    throw new CardProtocolError('bad_der', `DER element of ${totalLength} bytes > ${maxTotal}`);
  return { tag, headerLength, contentLength, totalLength };
}
