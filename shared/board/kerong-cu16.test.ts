import { describe, expect, it } from 'vitest';
import { FrameError, toHex } from './frame-error.js';
import {
  KerongFrameParser,
  MAX_FRAME_BYTES,
  checksum,
  decodeReply,
  decodeRequest,
  encodeReply,
  encodeRequest,
  type KerongReply,
  type KerongRequest,
} from './kerong-cu16.js';

const hex = (s: string) => Uint8Array.from(s.split(' ').map((b) => parseInt(b, 16)));

describe('Kerong CU16 golden vectors (locker-board.md "Worked frames")', () => {
  it('unlock board 0 lock 1 = 02 00 31 03 36', () => {
    expect(toHex(encodeRequest({ type: 'unlock', board: 0, lock: 1 }))).toBe('02 00 31 03 36');
  });
  it('unlock board 0 lock 16 = 02 0F 31 03 45', () => {
    expect(toHex(encodeRequest({ type: 'unlock', board: 0, lock: 16 }))).toBe('02 0f 31 03 45');
  });
  it('status of board 0 = 02 00 30 03 35', () => {
    expect(toHex(encodeRequest({ type: 'status', board: 0 }))).toBe('02 00 30 03 35');
  });
  it('status of board 1 = 02 10 30 03 45', () => {
    expect(toHex(encodeRequest({ type: 'status', board: 1 }))).toBe('02 10 30 03 45');
  });
  it('decodes the worked frames back', () => {
    expect(decodeRequest(hex('02 0F 31 03 45'))).toEqual({ type: 'unlock', board: 0, lock: 16 });
    expect(decodeRequest(hex('02 10 30 03 45'))).toEqual({ type: 'status', board: 1 });
  });
});

describe('Kerong CU16 codec', () => {
  it('SUM is the low byte of STX..ETX', () => {
    expect(checksum(hex('02 F0 35 FF FF FF FF 03'))).toBe(
      (0x02 + 0xf0 + 0x35 + 0xff * 4 + 3) & 0xff,
    );
  });

  it('status reply: 02 ADDR 35 L1-8 L9-16 S1-8 S9-16 03 SUM, bit 0 = lock 1', () => {
    const bytes = encodeReply({
      type: 'status-reply',
      board: 2,
      latchBits: 0x8001,
      occupancyBits: 0x0102,
    });
    expect(toHex(bytes.slice(0, 8))).toBe('02 20 35 01 80 02 01 03');
    expect(decodeReply(bytes)).toEqual({
      type: 'status-reply',
      board: 2,
      latchBits: 0x8001,
      occupancyBits: 0x0102,
    });
  });

  it('round-trips every request and reply type', () => {
    const reqs: KerongRequest[] = [
      { type: 'status', board: 15 },
      { type: 'status-all' },
      { type: 'unlock', board: 3, lock: 7 },
      { type: 'unlock-all', board: 4 },
      { type: 'get-pulse', board: 5 },
      { type: 'set-pulse', board: 5, pulseMs: 500 },
      { type: 'delayed-unlock', board: 6, lock: 16, delaySec: 250 },
    ];
    for (const r of reqs) expect(decodeRequest(encodeRequest(r))).toEqual(r);
    const reps: KerongReply[] = [
      { type: 'pulse-reply', board: 9, pulseMs: 1000 },
      { type: 'status-reply', board: 15, latchBits: 0xffff, occupancyBits: 0 },
    ];
    for (const r of reps) expect(decodeReply(encodeReply(r))).toEqual(r);
  });

  it('set-pulse carries the pulse in 10 ms units', () => {
    expect(toHex(encodeRequest({ type: 'set-pulse', board: 0, pulseMs: 500 }))).toBe(
      '02 00 37 32 03 6e',
    );
  });

  it('refuses out-of-range input with FrameError{kind:out_of_range}', () => {
    const bad: KerongRequest[] = [
      { type: 'unlock', board: 16, lock: 1 },
      { type: 'unlock', board: 0, lock: 0 },
      { type: 'unlock', board: 0, lock: 17 },
      { type: 'status', board: -1 },
      { type: 'set-pulse', board: 0, pulseMs: 5 },
      { type: 'set-pulse', board: 0, pulseMs: 3000 },
      { type: 'delayed-unlock', board: 0, lock: 1, delaySec: 251 },
    ];
    for (const r of bad) {
      const err = (() => {
        try {
          encodeRequest(r);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(FrameError);
      expect((err as FrameError).kind).toBe('out_of_range');
    }
  });

  it.each([
    ['02 00 31 03 37', 'bad_checksum'],
    ['02 00 31 04 37', 'no_etx'],
    ['03 00 31 03 37', 'no_stx'],
    ['02 00 31', 'too_short'],
    ['02 00 99 03 9e', 'unknown_command'],
  ])('decode rejects %s as %s', (frame, kind) => {
    expect(() => decodeRequest(hex(frame))).toThrow(FrameError);
    try {
      decodeRequest(hex(frame));
    } catch (e) {
      expect((e as FrameError).kind).toBe(kind);
    }
  });
});

function collect(direction: 'request' | 'reply') {
  const frames: unknown[] = [];
  const bad: string[] = [];
  const parser = new KerongFrameParser(direction, {
    onFrame: (f) => frames.push(f),
    onBadFrame: (e) => bad.push(e.kind),
  });
  return { parser, frames, bad };
}

describe('KerongFrameParser', () => {
  it('assembles a frame fed one byte at a time', () => {
    const { parser, frames } = collect('reply');
    const bytes = encodeReply({ type: 'status-reply', board: 1, latchBits: 3, occupancyBits: 4 });
    for (const b of bytes) parser.push(Uint8Array.of(b));
    expect(frames).toEqual([{ type: 'status-reply', board: 1, latchBits: 3, occupancyBits: 4 }]);
    expect(parser.bufferedBytes).toBe(0);
  });

  it('resynchronises on STX over garbage and counts dropped bytes', () => {
    const { parser, frames } = collect('request');
    const garbage = hex('FF 00 02 99 03 AA');
    const frame = encodeRequest({ type: 'status', board: 1 });
    parser.push(Uint8Array.from([...garbage, ...frame, ...garbage, ...frame]));
    expect(frames).toEqual([
      { type: 'status', board: 1 },
      { type: 'status', board: 1 },
    ]);
    expect(parser.stats).toEqual({ frames: 2, badFrames: 0, droppedBytes: 12 });
  });

  it('drops a frame with a wrong checksum, counts it, and keeps the next one', () => {
    const { parser, frames, bad } = collect('request');
    parser.push(hex('02 00 31 03 99 02 00 30 03 35'));
    expect(frames).toEqual([{ type: 'status', board: 0 }]);
    expect(bad).toEqual(['bad_checksum']);
    expect(parser.stats.badFrames).toBe(1);
    expect(parser.stats.droppedBytes).toBe(5);
  });

  it('finds a frame that starts inside a rejected candidate', () => {
    const { parser, frames } = collect('request');
    // "02 00 30" starts a candidate whose ETX position holds 02: rejected; the real frame follows.
    parser.push(hex('02 00 30 02 00 30 03 35'));
    expect(frames).toEqual([{ type: 'status', board: 0 }]);
  });

  it('tells the 5-byte get-pulse from the 6-byte set-pulse', () => {
    const { parser, frames } = collect('request');
    parser.push(encodeRequest({ type: 'get-pulse', board: 1 }));
    parser.push(encodeRequest({ type: 'set-pulse', board: 1, pulseMs: 1000 }));
    expect(frames).toEqual([
      { type: 'get-pulse', board: 1 },
      { type: 'set-pulse', board: 1, pulseMs: 1000 },
    ]);
  });

  it('reset() drops a partial frame and counts it', () => {
    const { parser, frames } = collect('reply');
    parser.push(hex('02 10 35 01'));
    expect(parser.bufferedBytes).toBe(4);
    parser.reset();
    parser.push(hex('02 00 38 32 03 6f'));
    expect(frames).toEqual([{ type: 'pulse-reply', board: 0, pulseMs: 500 }]);
    expect(parser.stats.droppedBytes).toBe(4);
  });

  it('fuzz: 100,000 random chunks never crash it and never grow its buffer', () => {
    // Deterministic xorshift so a failure can be replayed.
    let s = 0x9e3779b9;
    const rnd = () => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>> 0) / 0x100000000;
    };
    const valid = [
      encodeReply({ type: 'status-reply', board: 3, latchBits: 0xabcd, occupancyBits: 0x1234 }),
      encodeReply({ type: 'pulse-reply', board: 4, pulseMs: 500 }),
    ];
    for (const direction of ['reply', 'request'] as const) {
      let delivered = 0;
      const parser = new KerongFrameParser(direction, { onFrame: () => delivered++ });
      let maxBuffered = 0;
      for (let n = 0; n < 100_000; n++) {
        const len = Math.floor(rnd() * 64);
        const chunk = new Uint8Array(len);
        // Bias towards the protocol's own bytes so candidates are common.
        for (let i = 0; i < len; i++) {
          const r = rnd();
          chunk[i] = r < 0.15 ? 0x02 : r < 0.25 ? 0x03 : r < 0.35 ? 0x35 : (rnd() * 256) | 0;
        }
        if (n % 1000 === 0) {
          const v = valid[n % 2]!;
          const mixed = new Uint8Array(len + v.length);
          mixed.set(chunk);
          mixed.set(v, len);
          parser.push(mixed);
        } else parser.push(chunk);
        maxBuffered = Math.max(maxBuffered, parser.bufferedBytes);
      }
      expect(maxBuffered).toBeLessThan(MAX_FRAME_BYTES);
      const st = parser.stats;
      expect(st.frames).toBe(delivered);
      if (direction === 'reply') expect(st.frames).toBeGreaterThanOrEqual(100);
    }
  });
});
