/**
 * Fits the station's parts onto the domain's ports: the PC/SC (or simulated) card reader with
 * the JPKI client, path validation with the CRL cache, and the domain as the MQTT gateway's
 * command handler and state provider.
 */
import type { CardReader } from '../../hardware/card/card-reader.js';
import { BlockedPinRegistry, JpkiClient } from '../card/jpki-client.js';
import type { Logger } from '../log.js';
import type { CommandHandler, StateProvider, StatePart, VerifiedCommand } from '../mqtt/types.js';
import { validatePath } from '../trust/path.js';
import type { RevocationSource } from '../trust/types.js';
import type {
  CommandResult,
  ConfigChangeBody,
  CrlAvailableBody,
} from '../../shared/mqtt/commands.js';
import type { ActiveAlarm, CrlState, DeviceHealth } from '../../shared/mqtt/state.js';
import type { DoorController } from './door-controller.js';
import type { LockerDomain } from './locker-domain.js';
import type { CardSource, CertCheck, CertificateChecker, HolderCard } from './ports.js';

/** Card insertions from a CardReader, and JPKI sessions through the JPKI client. */
export class ReaderCardSource implements CardSource {
  readonly #blocked = new BlockedPinRegistry();
  constructor(
    private readonly reader: CardReader,
    private readonly log?: Logger,
  ) {}

  onCard(listener: (event: 'inserted' | 'removed') => void): () => void {
    return this.reader.onEvent((e) => {
      if (e.type === 'card-inserted') listener('inserted');
      else if (e.type === 'card-removed') listener('removed');
    });
  }

  async open(): Promise<HolderCard> {
    const session = await this.reader.connect();
    const client = new JpkiClient(session.transmit, { blocked: this.#blocked, log: this.log });
    return {
      readAuthCertificate: () => client.readAuthCertificate(),
      pinStatus: async () => {
        const s = await client.pinStatus('auth');
        if (s.state === 'blocked') return { triesLeft: 0, blocked: true };
        // `verified` cannot happen on a fresh session (a reset clears it); show a full count.
        return { triesLeft: s.state === 'tries' ? s.triesLeft : 3, blocked: false };
      },
      verifyPin: async (pin) => {
        const r = await client.verifyPin('auth', pin);
        // `malformed` never reaches here: the route refuses anything but 4 digits.
        if (r.outcome === 'malformed') return { outcome: 'wrong', triesLeft: -1 };
        return r;
      },
      signNonce: (nonce) => client.signNonce(nonce, 'auth'),
      close: () => session.close('reset'),
    };
  }
}

/** Validates a user-authentication certificate: chain to the auth anchors, validity, CRL. */
export class PathCertificateChecker implements CertificateChecker {
  constructor(
    private readonly anchors: () => readonly Uint8Array[],
    private readonly revocation: RevocationSource | undefined,
  ) {}

  checkAuthCertificate(der: Uint8Array, at: Date): CertCheck {
    const r = validatePath({
      leaf: der,
      anchors: this.anchors(),
      at,
      purpose: 'auth',
      ...(this.revocation ? { revocation: this.revocation } : {}),
    });
    if (r.valid) return { valid: true };
    return { valid: false, reason: r.reason === 'crl_missing' ? 'no_crl' : r.reason };
  }
}

/**
 * The domain as the gateway's {@link CommandHandler}: deliveries, roster, door rules, remote
 * open, maintenance. Remote open is audited with the signer's key hash as the operator.
 */
export class DomainCommandHandler implements CommandHandler {
  constructor(
    private readonly domain: LockerDomain,
    private readonly openCompartment: (id: string, actor: string) => Promise<boolean>,
    private readonly doors: DoorController | undefined,
    private readonly changed: (part: StatePart) => void,
    private readonly installCrl?: (body: CrlAvailableBody) => Promise<CommandResult>,
    private readonly changeConfig?: (body: ConfigChangeBody) => CommandResult,
  ) {}

  async handle(command: VerifiedCommand): Promise<CommandResult> {
    const c = command.claims;
    const actor = `operator:${command.signerSpkiSha256.slice(0, 16)}`;
    let result: CommandResult;
    switch (c.kind) {
      case 'delivery.assign':
        result = this.domain.assign(c.body, actor);
        break;
      case 'delivery.cancel':
        result = this.domain.cancel(c.body.deliveryId, c.body.reason ?? '', actor);
        break;
      case 'delivery.extend':
        result = this.domain.extend(c.body.deliveryId, c.body.pickupDeadline, actor);
        break;
      case 'staff.roster':
        return this.domain.applyRoster(c.body, actor);
      case 'door.rules':
        return this.domain.applyDoorRules(c.body, actor);
      case 'station.maintenance':
        result = this.domain.setMode(c.body.enabled, c.body.reason ?? '', actor);
        break;
      case 'remote.open': {
        const b = c.body;
        this.domain.record({
          kind: 'operator',
          action: 'remote.open',
          actor,
          target: b.door ? `door:${b.door}` : `compartment:${b.compartment ?? ''}`,
          outcome: 'requested',
          reason: b.reason.slice(0, 200),
        });
        if (b.door) {
          if (!this.doors || this.domain.doorState(b.door) === undefined)
            return { accepted: false, reason: 'unknown_door' };
          const ok = await this.doors.remoteOpen(b.door, actor);
          return ok ? { accepted: true } : { accepted: false, reason: 'hardware_fault' };
        }
        if (!b.compartment || !this.domain.compartment(b.compartment))
          return { accepted: false, reason: 'unknown_compartment' };
        const ok = await this.openCompartment(b.compartment, actor);
        return ok ? { accepted: true } : { accepted: false, reason: 'hardware_fault' };
      }
      case 'crl.available': {
        if (!this.installCrl) return { accepted: false, reason: 'not_supported' };
        const r = await this.installCrl(c.body);
        this.domain.record({
          kind: 'operator',
          action: 'crl.available',
          actor,
          target: 'crl',
          outcome: r.accepted ? String(r.detail?.outcome ?? 'accepted') : 'rejected',
          reason: r.accepted ? '' : r.reason,
        });
        if (r.accepted) this.changed('crl');
        return r;
      }
      case 'config.change': {
        if (!this.changeConfig) return { accepted: false, reason: 'not_supported' };
        const r = this.changeConfig(c.body);
        this.domain.record({
          kind: 'operator',
          action: 'config.change',
          actor,
          target: `config:v${c.body.version}`,
          outcome: r.accepted ? 'accepted' : 'rejected',
          reason: r.accepted ? Object.keys(c.body.settings).join(',') : r.reason,
        });
        return r;
      }
      default:
        return { accepted: false, reason: 'not_supported' };
    }
    this.changed('compartments');
    return result;
  }
}

/** The domain's state for the gateway's retained topics. */
export class DomainStateProvider implements StateProvider {
  readonly #listeners = new Set<(part: StatePart) => void>();
  constructor(
    private readonly domain: LockerDomain,
    private readonly crlState: () => CrlState,
    private readonly health: () => Record<string, DeviceHealth>,
    private readonly head: () => { seq: number; hash: string } | undefined = () => undefined,
  ) {}
  compartments() {
    return this.domain.compartmentStates();
  }
  doors() {
    return this.domain.doorStates();
  }
  alarms(): ActiveAlarm[] {
    return this.domain.alarms();
  }
  crl(): CrlState {
    return this.crlState();
  }
  hardware(): Record<string, DeviceHealth> {
    return this.health();
  }
  mode(): 'active' | 'maintenance' {
    return this.domain.mode();
  }
  auditHead(): { seq: number; hash: string } | undefined {
    return this.head();
  }
  onChange(listener: (part: StatePart) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  /** Tells the gateway a part changed (it republishes the retained topic). */
  changed(part: StatePart): void {
    for (const l of this.#listeners) l(part);
  }
}
