/**
 * Locker-board benchmark: frame-parser throughput, and KerongBoard status / unlock round
 * trips over a socat pty to the board emulator. Prints JSON.
 *   npx tsx bench/board/run.ts
 */
import { KerongFrameParser, encodeReply } from '../../shared/board/kerong-cu16.js';
import { startEmulatedBus } from '../../test/board/emulated-bus.js';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function parserThroughput(): { mbPerSec: number; framesPerSec: number } {
  const frame = encodeReply({
    type: 'status-reply',
    board: 3,
    latchBits: 0x1234,
    occupancyBits: 0xff,
  });
  const chunk = new Uint8Array(frame.length * 1000 + 3000);
  for (let i = 0; i < 1000; i++) {
    chunk.set(Uint8Array.of(0xff, 0x02, 0x13), i * (frame.length + 3));
    chunk.set(frame, i * (frame.length + 3) + 3);
  }
  let frames = 0;
  const parser = new KerongFrameParser('reply', { onFrame: () => frames++ });
  const rounds = 2000;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) parser.push(chunk);
  const s = (performance.now() - t0) / 1000;
  return {
    mbPerSec: Math.round((chunk.length * rounds) / s / 1e6),
    framesPerSec: Math.round(frames / s),
  };
}

async function roundTrips(n: number) {
  const bus = await startEmulatedBus({ replyTimeoutMs: 300, verifyDelayMs: 20 });
  await bus.board.open();
  try {
    const status: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await bus.board.status(i % 2 === 0 ? 0 : 5);
      status.push(performance.now() - t0);
    }
    const unlock: number[] = [];
    for (let i = 0; i < n / 4; i++) {
      const lock = (i % 16) + 1;
      const t0 = performance.now();
      await bus.board.unlock(0, lock);
      unlock.push(performance.now() - t0);
      bus.emulator.closeDoor(0, lock);
    }
    status.sort((a, b) => a - b);
    unlock.sort((a, b) => a - b);
    const r = (x: number) => Math.round(x * 100) / 100;
    return {
      statusMs: {
        n: status.length,
        p50: r(percentile(status, 50)),
        p99: r(percentile(status, 99)),
      },
      unlockVerifiedMs: {
        n: unlock.length,
        verifyDelayMs: 20,
        p50: r(percentile(unlock, 50)),
        p99: r(percentile(unlock, 99)),
      },
      stats: bus.board.stats(),
    };
  } finally {
    await bus.close();
  }
}

const result = {
  bench: 'board',
  node: process.version,
  parser: parserThroughput(),
  ptyEmulator: await roundTrips(400),
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
