import type { Command } from 'commander';
import { BoardEmulator } from '../../../firmware-host/board-emulator/index.js';
import {
  BoardError,
  KerongBoard,
  type BoardSpec,
  type LockerBoard,
} from '../../../hardware/locker-board/index.js';
import { HardwareLostError } from '../../../shared/errors.js';
import type { Config } from '../../config/types.js';
import { ExitCode } from '../../exit-codes.js';
import { createLogger } from '../../log.js';
import { UsageError, action, resolveConfig } from '../context.js';

function intOption(value: string | undefined, name: string, min: number, max: number): number {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || n < min || n > max)
    throw new UsageError(`${name} must be an integer ${min}-${max} (got ${value ?? 'nothing'})`);
  return n;
}

/** The configured board at `address`, or a CU16 with factory defaults. */
function specFor(config: Readonly<Config>, address: number): BoardSpec {
  const b = config.board.boards.find((x) => x.address === address);
  return b ? { ...b } : { address, locks: 16, latchPolarity: 'one-is-latched', pulseMs: 500 };
}

async function withBus<T>(
  opts: { config?: string; port: string },
  board: number,
  fn: (bus: LockerBoard) => Promise<T>,
): Promise<T> {
  const config = resolveConfig(opts.config);
  const log = createLogger(config.log).child({ component: 'board' });
  const bus = new KerongBoard({
    path: opts.port,
    boards: [specFor(config, board)],
    baudRate: config.board.baudRate,
    replyTimeoutMs: config.board.replyTimeoutMs,
    retries: config.board.retries,
    log,
  });
  await bus.open();
  try {
    return await fn(bus);
  } catch (err) {
    if (err instanceof BoardError && err.kind !== 'bad_request')
      throw new HardwareLostError(`board ${board}`, err.message, { cause: err });
    if (err instanceof BoardError) throw new UsageError(err.message);
    throw err;
  } finally {
    await bus.close();
  }
}

/** `board emulate | status | open`: Kerong CU16 boards on a serial port. */
export function registerBoard(program: Command): void {
  const board = program
    .command('board')
    .description('locker boards (Kerong CU16) on a serial port');

  board
    .command('emulate')
    .description('emulate boards 0..N-1 on a serial device (e.g. one end of a socat pty pair)')
    .requiredOption('--port <path>', 'serial device to answer on')
    .option('--boards <n>', 'number of boards (addresses 0..N-1)', '1')
    .action(
      action(async (opts: { port: string; boards: string }) => {
        const n = intOption(opts.boards, '--boards', 1, 16);
        const emulator = new BoardEmulator({ addresses: Array.from({ length: n }, (_, i) => i) });
        await emulator.attach(opts.port);
        process.stderr.write(`board emulator: ${n} board(s) on ${opts.port}; Ctrl-C to stop\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await emulator.close();
        return ExitCode.Ok;
      }),
    );

  board
    .command('status')
    .description("read one board's latch and occupancy sensors")
    .requiredOption('--port <path>', 'serial device')
    .requiredOption('--board <n>', 'board address 0-15')
    .option('--json', 'print JSON')
    .option('-c, --config <file>', 'configuration file (YAML): latch polarity, timeouts')
    .action(
      action(async (opts: { port: string; board: string; json?: boolean; config?: string }) => {
        const n = intOption(opts.board, '--board', 0, 15);
        const status = await withBus(opts, n, (bus) => bus.status(n));
        if (opts.json) {
          const locks = status.locks.map((l) => ({
            lock: l.lock,
            latched: l.latched,
            occupied: l.occupied,
          }));
          process.stdout.write(`${JSON.stringify({ board: status.board, locks })}\n`);
        } else {
          process.stdout.write(`board ${status.board}\n`);
          for (const l of status.locks)
            process.stdout.write(
              `  lock ${String(l.lock).padStart(2)}: ${l.latched ? 'latched ' : 'released'}  ${l.occupied ? 'occupied' : 'empty'}\n`,
            );
        }
        return ExitCode.Ok;
      }),
    );

  board
    .command('open')
    .description('unlock one lock, then read the latch back to say whether it opened')
    .requiredOption('--port <path>', 'serial device')
    .requiredOption('--board <n>', 'board address 0-15')
    .requiredOption('--lock <l>', 'lock number from 1, as on the board label')
    .option('-c, --config <file>', 'configuration file (YAML): latch polarity, timeouts')
    .action(
      action(async (opts: { port: string; board: string; lock: string; config?: string }) => {
        const n = intOption(opts.board, '--board', 0, 15);
        const lock = intOption(opts.lock, '--lock', 1, 16);
        const r = await withBus(opts, n, (bus) => bus.unlock(n, lock));
        switch (r.outcome) {
          case 'opened':
            process.stdout.write(`board ${n} lock ${lock}: opened\n`);
            return ExitCode.Ok;
          case 'did_not_open':
            process.stdout.write(`board ${n} lock ${lock}: commanded but did not open\n`);
            return ExitCode.Failure;
          case 'fault':
            throw new HardwareLostError(
              `board ${n}`,
              `board ${n} lock ${lock}: ${r.fault.kind}${r.commanded ? ' after the unlock was sent (state unknown)' : ''}: ${r.fault.message}`,
            );
        }
      }),
    );
}
