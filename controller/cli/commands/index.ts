/**
 * The table of `jpki-locker` commands: each top-level name, the line `--help` shows for it,
 * and how to load the module that registers it. Nothing here imports a command module, so
 * `jpki-locker --version` and `--help` load no command code and no native addon; a command's
 * module (and what it imports) is loaded only when that command runs.
 *
 * A module may register several top-level names (station.ts: start, demo, safe-state, db);
 * each name gets a row. `controller/cli/main.test.ts` checks that every row's
 * description is the one its module registers, so this table and the modules stay in step.
 */
import type { CommandModule } from '../context.js';

/** One top-level command. */
export interface CommandEntry {
  /** What `jpki-locker --help` says of the command. */
  readonly description: string;
  /** Loads the module that registers the command (and possibly its siblings). */
  readonly load: () => Promise<CommandModule>;
}

const station = async () => (await import('./station.js')).registerStation;

/** Every top-level command, by name. */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  audit: {
    description: 'the tamper-evident audit log',
    load: async () => (await import('./audit.js')).registerAudit,
  },
  board: {
    description: 'locker boards (Kerong CU16) on a serial port',
    load: async () => (await import('./board.js')).registerBoard,
  },
  card: {
    description: 'My Number card (JPKI): read, prove, emulate',
    load: async () => (await import('./card.js')).registerCard,
  },
  cert: {
    description: 'check certificates',
    load: async () => (await import('./cert.js')).registerCert,
  },
  config: {
    description: 'check or print configuration',
    load: async () => (await import('./config.js')).registerConfig,
  },
  crl: {
    description: 'the offline CRL cache',
    load: async () => (await import('./crl.js')).registerCrl,
  },
  db: { description: 'manage the station database', load: station },
  demo: {
    description:
      'run the demo station: embedded broker, simulated card, boards and relays, SQLite under ./data/',
    load: station,
  },
  doctor: {
    description:
      'check this machine for what the configured station needs; exit 1 only when a needed part fails',
    load: async () => (await import('./doctor.js')).registerDoctor,
  },
  pki: {
    description: 'test PKI for demos and tests',
    load: async () => (await import('./pki.js')).registerPki,
  },
  receipt: {
    description: 'collection receipts signed by the holder’s card',
    load: async () => (await import('./receipt.js')).registerReceipt,
  },
  'safe-state': {
    description:
      'drive every lock output to its locked state and exit (the systemd unit runs it before start and after stop)',
    load: station,
  },
  start: { description: 'run the station daemon', load: station },
};

/**
 * The municipality's side (office/), which the station's code may not import:
 * bin/jpki-locker.js runs these from office/cli/main.ts. Listed here so that `--help` shows
 * them; `test/foundation/cli-table.test.ts` checks the lines against office's own.
 */
export const OFFICE_COMMANDS: Readonly<Record<string, string>> = {
  console: 'serve the operator console: a live web dashboard of every station, fed from the broker',
  office: 'back-office simulator: sign and send commands to a station, watch events',
};
