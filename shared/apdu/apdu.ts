/**
 * ISO/IEC 7816-4 short APDUs: building command APDUs and splitting response APDUs.
 * Pure functions over bytes; no I/O.
 *
 * ```
 * command  = CLA INS P1 P2 [Lc data] [Le]        (short: Lc 1..255, Le 00 = 256)
 * response = [data] SW1 SW2
 * ```
 * Source: ISO/IEC 7816-4:2013 §5.1 (command-response pairs), §5.6 (status bytes).
 */
import { CardProtocolError } from './errors.js';

/** The parts of a command APDU. `le` 1..256 (256 is encoded as 00); omit for no Le. */
export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data?: Uint8Array;
  le?: number;
}

/** A response APDU: the data field and the two status bytes as one number (0x9000). */
export interface ResponseApdu {
  data: Uint8Array;
  sw: number;
}

/** Maximum data length of a short command APDU (Lc). */
export const MAX_SHORT_LC = 255;
/** Maximum expected length of a short command APDU (Le = 00). */
export const MAX_SHORT_LE = 256;

function checkByte(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff)
    throw new RangeError(`${name} must be a byte, got ${String(v)}`);
}

/** Encodes a short command APDU (cases 1-4). @throws RangeError on out-of-range fields. */
export function encodeCommand(c: CommandApdu): Uint8Array {
  checkByte('CLA', c.cla);
  checkByte('INS', c.ins);
  checkByte('P1', c.p1);
  checkByte('P2', c.p2);
  const data = c.data ?? new Uint8Array(0);
  if (data.length > MAX_SHORT_LC) throw new RangeError(`Lc ${data.length} > ${MAX_SHORT_LC}`);
  if (c.le !== undefined && (!Number.isInteger(c.le) || c.le < 1 || c.le > MAX_SHORT_LE))
    throw new RangeError(`Le must be 1..256, got ${String(c.le)}`);
  const out: number[] = [c.cla, c.ins, c.p1, c.p2];
  if (data.length > 0) out.push(data.length, ...data);
  if (c.le !== undefined) out.push(c.le === 256 ? 0 : c.le);
  return Uint8Array.from(out);
}

/**
 * Decodes a short command APDU (the card side). Returns undefined when the bytes are not a
 * well-formed short APDU (the card answers `67 00` then).
 */
export function decodeCommand(bytes: Uint8Array): CommandApdu | undefined {
  if (bytes.length < 4) return undefined;
  const [cla, ins, p1, p2] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!];
  if (bytes.length === 4) return { cla, ins, p1, p2 };
  const b4 = bytes[4]!;
  if (bytes.length === 5) return { cla, ins, p1, p2, le: b4 === 0 ? 256 : b4 };
  if (b4 === 0) return undefined; // extended length: not supported
  if (bytes.length === 5 + b4) return { cla, ins, p1, p2, data: bytes.slice(5, 5 + b4) };
  if (bytes.length === 6 + b4) {
    const le = bytes[5 + b4]!;
    return { cla, ins, p1, p2, data: bytes.slice(5, 5 + b4), le: le === 0 ? 256 : le };
  }
  return undefined;
}

/** Splits a response APDU into data and SW. @throws CardProtocolError when shorter than 2 bytes. */
export function parseResponse(bytes: Uint8Array): ResponseApdu {
  if (bytes.length < 2)
    throw new CardProtocolError('short_response', `response of ${bytes.length} bytes has no SW`);
  const n = bytes.length;
  return { data: bytes.slice(0, n - 2), sw: (bytes[n - 2]! << 8) | bytes[n - 1]! };
}

/** Builds a response APDU from data and SW (the card side). */
export function buildResponse(sw: number, data?: Uint8Array): Uint8Array {
  const d = data ?? new Uint8Array(0);
  const out = new Uint8Array(d.length + 2);
  out.set(d, 0);
  out[d.length] = (sw >> 8) & 0xff;
  out[d.length + 1] = sw & 0xff;
  return out;
}

/** Lower-case hex of bytes, for debug logs and test messages. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Bytes of a hex string; spaces and colons are ignored. @throws RangeError on bad hex. */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean))
    throw new RangeError('not a hex string');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** SW as 4 hex digits, e.g. `6982`. */
export function swHex(sw: number): string {
  return sw.toString(16).padStart(4, '0');
}

/** Sends one APDU and returns the raw response (data + SW). */
export type ApduTransmit = (command: Uint8Array) => Promise<Uint8Array>;

/**
 * Runs one command over a T=0 style link, where the card answers `61 XX` ("XX more bytes:
 * send GET RESPONSE") or `6C XX` ("wrong Le: resend with Le = XX"). Over T=1 these SWs do not
 * occur and the command passes through unchanged. At most `maxRounds` extra exchanges.
 *
 * Source: ISO/IEC 7816-3:2006 §12.2 (T=0 transport of APDUs), ISO/IEC 7816-4 §5.6 (`61XX`,
 * `6CXX`), GET RESPONSE `00 C0 00 00 XX`.
 */
export async function transmitWithGetResponse(
  transmit: ApduTransmit,
  command: Uint8Array,
  maxRounds = 64,
): Promise<Uint8Array> {
  let resp = await transmit(command);
  const chunks: Uint8Array[] = [];
  for (let round = 0; round < maxRounds; round++) {
    if (resp.length < 2) return resp;
    const sw1 = resp[resp.length - 2]!;
    const sw2 = resp[resp.length - 1]!;
    if (sw1 === 0x6c) {
      // Case 2 (header + Le) only: resend the same header with the Le the card asked for.
      if (command.length !== 5) return resp;
      const again = Uint8Array.from(command);
      again[4] = sw2;
      resp = await transmit(again);
      continue;
    }
    if (sw1 === 0x61) {
      chunks.push(resp.slice(0, resp.length - 2));
      resp = await transmit(Uint8Array.from([command[0]! & 0x03, 0xc0, 0x00, 0x00, sw2]));
      continue;
    }
    break;
  }
  if (chunks.length === 0) return resp;
  chunks.push(resp);
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/**
 * INS bytes whose command data is safe to show in a debug log: SELECT (AIDs and file IDs),
 * READ BINARY / GET RESPONSE (no data). Everything else (VERIFY and CHANGE REFERENCE DATA carry
 * a PIN or password, unknown commands may carry anything) is shown as its length only.
 */
const LOGGABLE_DATA_INS = new Set<number>([0xa4, 0xb0, 0xc0]);

/**
 * A command APDU for a debug log: the header in hex, and the data only for commands that cannot
 * carry a secret (see `LOGGABLE_DATA_INS`); else `<n bytes redacted>`. Fails closed.
 */
export function commandForLog(command: Uint8Array): string {
  if (command.length <= 5 || LOGGABLE_DATA_INS.has(command[1]!)) return toHex(command);
  return `${toHex(command.subarray(0, 5))} <${command.length - 5} bytes redacted>`;
}

/**
 * A response APDU for a debug log: its data length and SW, never the data (a certificate read
 * after the signature password holds name, address and date of birth; the driver cannot tell
 * which EF it came from).
 */
export function responseForLog(response: Uint8Array): string {
  if (response.length < 2) return `<${response.length} bytes, no SW>`;
  return `<${response.length - 2} data bytes> ${swHex((response[response.length - 2]! << 8) | response[response.length - 1]!)}`;
}
