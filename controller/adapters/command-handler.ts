/** The ledger and the flows as the MQTT gateway's command handler. */
import type { CommandHandler, StatePart, VerifiedCommand } from '../mqtt/types.js';
import type {
  CommandResult,
  ConfigChangeBody,
  OcspResponsesBody,
  CrlAvailableBody,
} from '../../shared/mqtt/commands.js';
import { Actors } from '../domain/model.js';
import type { Ledger } from '../flows/ledger/ledger.js';
import type { RecoveryFlow } from '../flows/recovery.js';
import type { RemoteOpenFlow } from '../flows/remote-open.js';

/**
 * The domain as the gateway's {@link CommandHandler}: deliveries, roster, door rules, remote
 * open, maintenance. Remote open is audited with the signer's key hash as the operator.
 */
export class DomainCommandHandler implements CommandHandler {
  constructor(
    private readonly ledger: Ledger,
    private readonly remoteOpen: RemoteOpenFlow,
    private readonly changed: (part: StatePart) => void,
    private readonly installCrl?: (body: CrlAvailableBody) => Promise<CommandResult>,
    private readonly changeConfig?: (body: ConfigChangeBody) => CommandResult,
    private readonly acceptOcsp?: (body: OcspResponsesBody) => CommandResult,
    private readonly recovery?: RecoveryFlow,
  ) {}

  async handle(command: VerifiedCommand): Promise<CommandResult> {
    const c = command.claims;
    const actor = Actors.operator(command.signerSpkiSha256.slice(0, 16));
    const { deliveries, roster, alarms, attempts } = this.ledger;
    let result: CommandResult;
    switch (c.kind) {
      case 'delivery.assign':
        result = deliveries.assign(c.body, actor);
        break;
      case 'delivery.cancel':
        result = deliveries.cancel(c.body.deliveryId, c.body.reason ?? '', actor);
        break;
      case 'delivery.extend':
        result = deliveries.extend(c.body.deliveryId, c.body.pickupDeadline, actor);
        break;
      case 'staff.roster':
        return roster.applyRoster(c.body, actor);
      case 'door.rules':
        return roster.applyDoorRules(c.body, actor);
      case 'station.maintenance':
        result = alarms.setMode(c.body.enabled, c.body.reason ?? '', actor);
        break;
      case 'remote.open':
        return this.remoteOpen.run(c.body, actor);
      case 'compartment.maintenance':
        if (!this.recovery) return { accepted: false, reason: 'not_supported' };
        result = this.recovery.setOutOfService(
          c.body.compartment,
          c.body.enabled,
          actor,
          c.body.reason ?? '',
        );
        break;
      case 'compartment.clear':
        if (!this.recovery) return { accepted: false, reason: 'not_supported' };
        result = await this.recovery.clearFault(c.body.compartment, actor, c.body.reason ?? '');
        break;
      case 'crl.available': {
        if (!this.installCrl) return { accepted: false, reason: 'not_supported' };
        const r = await this.installCrl(c.body);
        attempts.record({
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
      case 'ocsp.responses': {
        if (!this.acceptOcsp) return { accepted: false, reason: 'not_supported' };
        const r = this.acceptOcsp(c.body);
        attempts.record({
          kind: 'operator',
          action: 'ocsp.responses',
          actor,
          target: 'ocsp',
          outcome: r.accepted ? 'accepted' : 'rejected',
          reason: r.accepted ? '' : r.reason,
        });
        return r;
      }
      case 'config.change': {
        if (!this.changeConfig) return { accepted: false, reason: 'not_supported' };
        const r = this.changeConfig(c.body);
        attempts.record({
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
