import { JpkiLockerError } from '../errors.js';

/** Why a byte sequence is not a valid board frame. */
export type FrameErrorKind =
  | 'too_short'
  | 'no_stx'
  | 'no_etx'
  | 'bad_checksum'
  | 'unknown_command'
  | 'bad_length'
  | 'out_of_range';

/** A frame that cannot be encoded or decoded; `kind` says why. */
export class FrameError extends JpkiLockerError {
  constructor(
    readonly kind: FrameErrorKind,
    message: string,
  ) {
    super(`frame_${kind}`, message);
  }
}

/** Counters a streaming frame parser keeps; reported by the drivers that own one. */
export interface FrameParserStats {
  /** Well-formed frames delivered. */
  frames: number;
  /** Candidate frames (start byte + known command) rejected: wrong checksum or no end byte. */
  badFrames: number;
  /** Bytes thrown away while hunting for a start byte or discarded with a bad frame. */
  droppedBytes: number;
}

/** Hex for debug logs: `02 00 31 03 36`. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
