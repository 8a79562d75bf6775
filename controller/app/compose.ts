/**
 * The composition root: builds every object of the station's core exactly once — the unit
 * of work and the ledger, the actuator, the door controller, each flow, the card session,
 * the kiosk session, the command handler and the state provider — and hands finished
 * objects to one another. The daemon (through CoreComponent), the demo, the test harness
 * and the benchmark all build the core through `composeCore`.
 */
import type {
  CommandResult,
  CompartmentSize,
  ConfigChangeBody,
  OcspResponsesBody,
  CrlAvailableBody,
} from '../../shared/mqtt/commands.js';
import type { CrlState, DeviceHealth } from '../../shared/mqtt/state.js';
import { CompartmentActuator } from '../flows/actuator.js';
import { CompartmentWatch } from '../flows/compartment-watch.js';
import { RecoveryFlow } from '../flows/recovery.js';
import { MaintenanceFlow } from '../flows/maintenance.js';
import { CardSessionFlow } from '../flows/card-session.js';
import { DoorController, type DoorSettings } from '../flows/door-access.js';
import { FireRelease } from '../flows/fire-release.js';
import { Ledger } from '../flows/ledger/ledger.js';
import { LoadingFlow } from '../flows/loading.js';
import { PickupFlow } from '../flows/pickup.js';
import { RemoteOpenFlow } from '../flows/remote-open.js';
import { RetrievalFlow } from '../flows/retrieval.js';
import type { KioskState } from '../flows/screens.js';
import type {
  CardSource,
  CertificateChecker,
  CompartmentHardware,
  DoorHardware,
  EventOutbox,
  Timers,
} from '../domain/ports.js';
import { DomainCommandHandler } from '../adapters/command-handler.js';
import { SqliteUnitOfWork, type AuditAppender } from '../adapters/sqlite/unit-of-work.js';
import { DomainStateProvider } from '../adapters/state-provider.js';
import { KioskSession } from '../kiosk/kiosk-session.js';
import type { Logger } from '../log.js';
import type { Db } from '../storage/db.js';
import { auditHead } from '../audit/audit-log.js';

/** Everything the core is built from: storage, devices, settings, clock, log. */
export interface CoreParts {
  db: Db;
  outbox: EventOutbox;
  audit: AuditAppender;
  station: {
    /** Station id (named in collection receipts). */
    id?: string;
    name: string;
    timezone: string;
    hours: { open: string; close: string };
    mode: 'locker' | 'door' | 'both';
  };
  compartments: readonly { id: string; size: CompartmentSize }[];
  doors: readonly DoorSettings[];
  pickup: {
    pinTimeoutSec: number;
    doorOpenTimeoutSec: number;
    doorLeftOpenSec: number;
    /** Default true. */
    refuseLastTry?: boolean;
    resultScreenSec?: number;
  };
  lockers?: CompartmentHardware | undefined;
  doorHardware?: DoorHardware | undefined;
  /** Card insertions and sessions; without it there is no kiosk session. */
  cards?: CardSource | undefined;
  /**
   * Each door reader's own card source (door id -> the cards in `doors[].reader`): every one
   * gets its own session and PIN surface, next to the kiosk's.
   */
  doorCards?: ReadonlyMap<string, CardSource>;
  checker: CertificateChecker;
  publish: (state: KioskState) => void;
  /** Publishes a door reader's screen (its own surface; default: nowhere). */
  publishDoor?: (door: string, state: KioskState) => void;
  crlState?: () => CrlState;
  health?: () => Record<string, DeviceHealth>;
  /** The audit chain's head (published in the heartbeat). */
  auditHead?: () => { seq: number; hash: string } | undefined;
  installCrl?: (body: CrlAvailableBody) => Promise<CommandResult>;
  changeConfig?: (body: ConfigChangeBody) => CommandResult;
  /** Takes relayed OCSP responses (`ocsp.responses`; default: not supported). */
  acceptOcsp?: (body: OcspResponsesBody) => CommandResult;
  now: () => Date;
  timers: Timers;
  log: Logger;
  nonce?: () => Uint8Array;
}

/** The built core. */
export interface Core {
  uow: SqliteUnitOfWork;
  ledger: Ledger;
  actuator: CompartmentActuator;
  doors: DoorController;
  pickup: PickupFlow;
  loading: LoadingFlow;
  retrieval: RetrievalFlow;
  remoteOpen: RemoteOpenFlow;
  /** Fire-alarm inputs releasing fail-safe doors. */
  fire: FireRelease;
  /** Every compartment door watched all the time (forced, held open). */
  watch: CompartmentWatch;
  recovery: RecoveryFlow;
  cardSession: CardSessionFlow;
  session: KioskSession | undefined;
  /** Each door reader's own session (door id -> session), beside the kiosk's. */
  doorSessions: ReadonlyMap<string, KioskSession>;
  commandHandler: DomainCommandHandler;
  stateProvider: DomainStateProvider;
}

const NO_CRL: CrlState = { ageSec: null, thisUpdate: null, nextUpdate: null, stale: false };

/** See the module comment. Builds; starts nothing. */
export function composeCore(p: CoreParts): Core {
  const uow = new SqliteUnitOfWork(p.db, p.outbox, p.audit, p.now);
  const ledger = new Ledger(uow, { compartments: p.compartments, doors: p.doors });
  const compartmentWatch = new CompartmentWatch(ledger, p.lockers, p.timers, {
    doorOpenTimeoutSec: p.pickup.doorOpenTimeoutSec,
    doorLeftOpenSec: p.pickup.doorLeftOpenSec,
  });
  const actuator = new CompartmentActuator(ledger, p.lockers, compartmentWatch);
  const recovery = new RecoveryFlow(ledger, actuator, compartmentWatch);
  const fire = new FireRelease(
    ledger,
    p.doorHardware,
    p.doors.map((d) => ({
      id: d.id,
      failSafe: d.failSafe ?? false,
      releaseMs: d.maxPulseMs ?? d.unlockMs,
    })),
    p.timers,
    p.log.child({ component: 'fire' }),
  );
  const doors = new DoorController(
    ledger,
    p.doorHardware,
    p.doors,
    p.log.child({ component: 'doors' }),
    p.timers,
    (door) => fire.released(door),
  );
  const watch = {
    doorOpenTimeoutSec: p.pickup.doorOpenTimeoutSec,
    doorLeftOpenSec: p.pickup.doorLeftOpenSec,
  };
  const pickup = new PickupFlow(ledger, actuator, watch);
  const loading = new LoadingFlow(ledger, actuator, watch);
  const retrieval = new RetrievalFlow(ledger, actuator, watch);
  const remoteOpen = new RemoteOpenFlow(ledger, actuator, doors, recovery);
  const flows = {
    pickup,
    loading,
    retrieval,
    doors,
    maintenance: new MaintenanceFlow(ledger, recovery),
  };
  const sessionSettings = {
    ...(p.station.id ? { stationId: p.station.id } : {}),
    timezone: p.station.timezone,
    hours: p.station.hours,
    mode: p.station.mode,
    refuseLastTry: p.pickup.refuseLastTry ?? true,
    ...(p.nonce ? { nonce: p.nonce } : {}),
  };
  const cardSession = new CardSessionFlow(
    ledger,
    p.checker,
    flows,
    sessionSettings,
    p.log.child({ component: 'kiosk' }),
  );
  const screenOptions = {
    stationName: p.station.name,
    timezone: p.station.timezone,
    hours: p.station.hours,
    pinTimeoutSec: p.pickup.pinTimeoutSec,
    ...(p.pickup.resultScreenSec !== undefined
      ? { resultScreenSec: p.pickup.resultScreenSec }
      : {}),
    now: p.now,
    timers: p.timers,
  };
  const session = p.cards
    ? new KioskSession(ledger, p.cards, cardSession, p.publish, screenOptions)
    : undefined;
  // A door's own reader: its own card session (that door only) on its own surface, so a card
  // there never takes the kiosk's screen from a resident in the middle of a pickup.
  const doorSessions = new Map<string, KioskSession>();
  for (const [door, cards] of p.doorCards ?? []) {
    const flow = new CardSessionFlow(
      ledger,
      p.checker,
      flows,
      { ...sessionSettings, door },
      p.log.child({ component: 'door-reader', door }),
    );
    const publish = (s: KioskState) => p.publishDoor?.(door, s);
    doorSessions.set(
      door,
      new KioskSession(ledger, cards, flow, publish, {
        ...screenOptions,
        cardLeftTarget: `door:${door}`,
      }),
    );
  }
  const stateProvider = new DomainStateProvider(
    ledger,
    p.crlState ?? (() => NO_CRL),
    p.health ?? (() => ({})),
    () => auditHead(p.db),
  );
  const commandHandler = new DomainCommandHandler(
    ledger,
    remoteOpen,
    (part) => stateProvider.changed(part),
    p.installCrl,
    p.changeConfig,
    p.acceptOcsp,
    recovery,
  );
  return {
    uow,
    ledger,
    actuator,
    doors,
    pickup,
    loading,
    retrieval,
    remoteOpen,
    watch: compartmentWatch,
    fire,
    recovery,
    cardSession,
    session,
    doorSessions,
    commandHandler,
    stateProvider,
  };
}
