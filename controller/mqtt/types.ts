/**
 * What the MQTT gateway needs from the rest of the station. The gateway does not carry out
 * commands nor own the state: the domain implements {@link CommandHandler} and
 * {@link StateProvider}; events come through the outbox.
 */
import type { CommandClaims, CommandResult } from '../../shared/mqtt/commands.js';
import type {
  ActiveAlarm,
  CompartmentState,
  CrlState,
  DeviceHealth,
  DoorStatus,
} from '../../shared/mqtt/state.js';

/** A command whose signature, signer, station binding, validity window and id were checked. */
export interface VerifiedCommand {
  claims: CommandClaims;
  /** SHA-256 (hex) of the signer certificate's SubjectPublicKeyInfo. */
  signerSpkiSha256: string;
  receivedAt: Date;
}

/**
 * Carries out verified commands (implemented by the domain: deliveries, doors, roster,
 * maintenance, CRL, configuration). Called at most once per command id, one command at a
 * time. It should make its state change and the events it reports in one transaction
 * (see Outbox.append). A negative answer is a result (`accepted: false` + reason), not a
 * throw; a throw is answered as `handler_error`.
 */
export interface CommandHandler {
  handle(command: VerifiedCommand): Promise<CommandResult>;
}

/** Retained-state topics that a StateProvider can announce as changed. */
export type StatePart = 'compartments' | 'doors' | 'alarms' | 'crl';

/**
 * The station's current state, read when the gateway (re)publishes the retained topics:
 * on every connect and after each `onChange`.
 */
export interface StateProvider {
  compartments(): CompartmentState[];
  doors(): { door: string; status: DoorStatus }[];
  alarms(): ActiveAlarm[];
  crl(): CrlState;
  /** Device name -> health, for the heartbeat. */
  hardware(): Record<string, DeviceHealth>;
  mode(): 'active' | 'maintenance';
  /** The audit chain's head for the heartbeat (undefined before the first row). */
  auditHead?(): { seq: number; hash: string } | undefined;
  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: (part: StatePart) => void): () => void;
}

/** A StateProvider for a station with nothing to report (tests, a link-only demo). */
export class EmptyStateProvider implements StateProvider {
  compartments(): CompartmentState[] {
    return [];
  }
  doors(): { door: string; status: DoorStatus }[] {
    return [];
  }
  alarms(): ActiveAlarm[] {
    return [];
  }
  crl(): CrlState {
    return { ageSec: null, thisUpdate: null, nextUpdate: null, stale: false };
  }
  hardware(): Record<string, DeviceHealth> {
    return {};
  }
  mode(): 'active' | 'maintenance' {
    return 'active';
  }
  onChange(_listener: (part: StatePart) => void): () => void {
    return () => {};
  }
}
