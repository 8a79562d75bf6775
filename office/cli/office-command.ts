import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type {
  CommandBodies,
  CommandKind,
  CommandResponse,
  CompartmentSize,
} from '../../shared/mqtt/commands.js';
import { fleetTopics, isStationId, StationTopics } from '../../shared/mqtt/topics.js';
import { validateCommandClaims } from '../../shared/mqtt/validate.js';
import { buildCommand, signCommand } from '../../shared/mqtt/command-envelope.js';
import { JpkiLockerError } from '../../shared/errors.js';
import { commandCrlMessage, commandCrlTopic } from '../../shared/mqtt/command-crl.js';
import { CommandCaFolder, DEFAULT_CRL_VALID_DAYS } from '../pki/command-ca.js';
import { createDevCa, CRL_REASON_NAMES, issueDevCert } from '../pki/dev-pki.js';
import { loadCommandSignerFiles } from '../signer/load.js';
import { brokerUrlFromStationConfig } from './station-config.js';
import { officeAction as action, OfficeExit as ExitCode, UsageError } from './usage.js';

/** Options every `office` subcommand takes. */
interface BrokerOptions {
  config?: string;
  url?: string;
  protocol?: string;
  username?: string;
  password?: string;
  ca?: string;
  cert?: string;
  key?: string;
  prefix?: string;
}
interface SendOptions extends BrokerOptions {
  station: string;
  signKey?: string;
  signCert?: string;
  lifetime: string;
  timeout: string;
  id?: string;
}

function brokerOptions(cmd: Command): Command {
  return cmd
    .option(
      '-c, --config <file>',
      'station configuration file (its mqtt.url is the default broker)',
    )
    .option('--url <url>', 'broker URL (mqtt://, mqtts://)')
    .option('--protocol <version>', 'MQTT protocol version: 5, or 4 for 3.1.1 brokers', '5')
    .option('--username <name>', 'broker user name')
    .option('--password <password>', 'broker password (or $JPKI_LOCKER_OFFICE_PASSWORD)')
    .option('--ca <file>', 'CA certificate of the broker (PEM)')
    .option('--cert <file>', "the office's TLS client certificate (PEM)")
    .option('--key <file>', "the office's TLS client key (PEM)")
    .option('--prefix <topic>', 'topic prefix', 'jpki-locker/v1');
}

function sendOptions(cmd: Command): Command {
  return brokerOptions(cmd)
    .requiredOption('--station <id>', 'station id')
    .option('--sign-key <file>', 'command-signing private key (PEM)')
    .option('--sign-cert <file>', 'command-signing certificate chain (PEM, signer first)')
    .option('--lifetime <sec>', 'seconds the command stays valid', '120')
    .option('--timeout <ms>', 'how long to wait for the answer', '15000')
    .option('--id <uuid>', 'command id (default: a new UUID; reuse one to repeat a command)');
}

function readFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}

async function connect(o: BrokerOptions): Promise<MqttClient> {
  const url = o.url ?? brokerUrlFromStationConfig(o.config);
  const protocolVersion = Number(o.protocol ?? '5');
  if (protocolVersion !== 4 && protocolVersion !== 5)
    throw new UsageError('--protocol must be 4 or 5');
  const password = o.password ?? process.env.JPKI_LOCKER_OFFICE_PASSWORD;
  const opts: IClientOptions = {
    protocolVersion,
    clientId: `jpki-locker-office-${randomUUID().slice(0, 8)}`,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...(o.username ? { username: o.username } : {}),
    ...(password ? { password } : {}),
    ...(o.ca ? { ca: readFile(o.ca, 'CA file') } : {}),
    ...(o.cert ? { cert: readFile(o.cert, 'certificate') } : {}),
    ...(o.key ? { key: readFile(o.key, 'key') } : {}),
  };
  try {
    return await mqtt.connectAsync(url, opts);
  } catch (err) {
    // Not a usage mistake: the broker is down or refuses us (exit 1, worth retrying).
    throw new JpkiLockerError(
      'broker_unreachable',
      `cannot connect to ${url}: ${(err as Error).message}`,
    );
  }
}

/** Signs and publishes one command, prints the station's answer as JSON. 0 accepted, 1 not. */
async function send<K extends CommandKind>(
  kind: K,
  body: CommandBodies[K],
  o: SendOptions,
): Promise<ExitCode> {
  if (!isStationId(o.station)) throw new UsageError(`--station: invalid station id ${o.station}`);
  if (!o.signKey || !o.signCert)
    throw new UsageError('--sign-key and --sign-cert are required to sign commands');
  let signer;
  try {
    signer = loadCommandSignerFiles(o.signKey, o.signCert);
  } catch (err) {
    throw new UsageError(`cannot load the signer: ${(err as Error).message}`);
  }
  const lifetimeSec = Number(o.lifetime);
  if (!Number.isFinite(lifetimeSec) || lifetimeSec <= 0)
    throw new UsageError('--lifetime must be a positive number of seconds');
  if (!Number.isInteger(Number(o.timeout)) || Number(o.timeout) < 1)
    throw new UsageError('--timeout must be a positive number of milliseconds');
  const claims = buildCommand(kind, body, {
    station: o.station,
    lifetimeSec,
    ...(o.id ? { id: o.id } : {}),
  });
  const checked = validateCommandClaims(claims);
  if (!checked.ok) throw new UsageError(`invalid command: ${checked.errors.join('; ')}`);
  const topics = new StationTopics(o.station, o.prefix);
  const client = await connect(o);
  try {
    const answer = new Promise<CommandResponse>((resolve) => {
      client.on('message', (topic, payload) => {
        if (topic !== topics.response) return;
        try {
          const r = JSON.parse(payload.toString('utf8')) as CommandResponse;
          if (r.commandId === claims.id) resolve(r);
        } catch {
          /* not ours */
        }
      });
    });
    await client.subscribeAsync(topics.response, { qos: 1 });
    const correlationData = Buffer.from(claims.id);
    await client.publishAsync(topics.command, JSON.stringify(signCommand(claims, signer)), {
      qos: 1,
      retain: false,
      ...(client.options.protocolVersion === 5
        ? {
            properties: {
              correlationData,
              messageExpiryInterval: Math.ceil(lifetimeSec),
              responseTopic: topics.response,
            },
          }
        : {}),
    });
    const timeoutMs = Number(o.timeout);
    const response = await Promise.race([
      answer,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), timeoutMs).unref()),
    ]);
    if (!response) {
      process.stderr.write(
        `jpki-locker: no answer from ${o.station} within ${timeoutMs} ms (command ${claims.id}); sending it again with --id ${claims.id} is safe\n`,
      );
      return ExitCode.Failure;
    }
    process.stdout.write(`${JSON.stringify(response)}\n`);
    return response.status === 'accepted' ? ExitCode.Ok : ExitCode.Failure;
  } finally {
    await client.endAsync(true).catch(() => undefined);
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFile(file, 'file').toString('utf8'));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${file} is not JSON: ${(err as Error).message}`);
  }
}

function positiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${what} must be a positive integer`);
  return n;
}

/** `office ...`: the back-office simulator. Signs and publishes commands; watches events. */
export function registerOffice(program: Command): void {
  const office = program
    .command('office')
    .description('back-office simulator: sign and send commands to a station, watch events');

  sendOptions(office.command('assign'))
    .description('assign a delivery to a compartment (or a size) for one holder')
    .requiredOption('--delivery <id>', 'delivery id')
    .option('--compartment <id>', 'a given compartment')
    .option('--size <S|M|L>', 'or any free compartment of this size')
    .requiredOption('--holder <sha256>', "SHA-256 (hex) of the holder's auth certificate SPKI")
    .requiredOption('--deadline <iso>', 'pickup deadline (ISO 8601)')
    .action(
      action(
        (
          o: SendOptions & {
            delivery: string;
            compartment?: string;
            size?: string;
            holder: string;
            deadline: string;
          },
        ) => {
          if (!o.compartment === !o.size)
            throw new UsageError('give exactly one of --compartment and --size');
          const deadline = new Date(o.deadline);
          if (Number.isNaN(deadline.getTime()))
            throw new UsageError('--deadline must be an ISO 8601 time');
          return send(
            'delivery.assign',
            {
              deliveryId: o.delivery,
              ...(o.compartment ? { compartment: o.compartment } : {}),
              ...(o.size ? { size: o.size.toUpperCase() as CompartmentSize } : {}),
              holderSpkiSha256: o.holder.toLowerCase(),
              pickupDeadline: deadline.toISOString(),
            },
            o,
          );
        },
      ),
    );

  sendOptions(office.command('cancel'))
    .description('cancel a delivery')
    .requiredOption('--delivery <id>', 'delivery id')
    .option('--reason <text>', 'why')
    .action(
      action((o: SendOptions & { delivery: string; reason?: string }) =>
        send(
          'delivery.cancel',
          { deliveryId: o.delivery, ...(o.reason ? { reason: o.reason } : {}) },
          o,
        ),
      ),
    );

  sendOptions(office.command('extend'))
    .description("move a delivery's pickup deadline")
    .requiredOption('--delivery <id>', 'delivery id')
    .requiredOption('--deadline <iso>', 'new pickup deadline (ISO 8601)')
    .action(
      action((o: SendOptions & { delivery: string; deadline: string }) => {
        const deadline = new Date(o.deadline);
        if (Number.isNaN(deadline.getTime()))
          throw new UsageError('--deadline must be an ISO 8601 time');
        return send(
          'delivery.extend',
          { deliveryId: o.delivery, pickupDeadline: deadline.toISOString() },
          o,
        );
      }),
    );

  sendOptions(office.command('open'))
    .description('open a door or a compartment remotely')
    .option('--door <id>', 'door id')
    .option('--compartment <id>', 'compartment id')
    .requiredOption('--reason <text>', 'why (kept in the audit log)')
    .action(
      action((o: SendOptions & { door?: string; compartment?: string; reason: string }) => {
        if (!o.door === !o.compartment)
          throw new UsageError('give exactly one of --door and --compartment');
        return send(
          'remote.open',
          { ...(o.door ? { door: o.door } : { compartment: o.compartment! }), reason: o.reason },
          o,
        );
      }),
    );

  sendOptions(office.command('roster'))
    .description('send the staff roster (JSON file: {"version": N, "staff": [...]})')
    .requiredOption('--file <roster.json>', 'roster file')
    .action(
      action((o: SendOptions & { file: string }) =>
        send('staff.roster', readJson(o.file) as never, o),
      ),
    );

  sendOptions(office.command('door-rules'))
    .description('send the door rules (JSON file: {"version": N, "groups": {...}, "rules": [...]})')
    .requiredOption('--file <rules.json>', 'door-rules file')
    .action(
      action((o: SendOptions & { file: string }) =>
        send('door.rules', readJson(o.file) as never, o),
      ),
    );

  sendOptions(office.command('crl'))
    .description('announce a new CRL: the station fetches it and checks its hash')
    .requiredOption('--crl-url <url>', 'where the CRL is (http(s):// or file://)')
    .requiredOption('--sha256 <hex>', 'SHA-256 of the CRL file')
    .action(
      action((o: SendOptions & { crlUrl: string; sha256: string }) =>
        send('crl.available', { url: o.crlUrl, sha256: o.sha256.toLowerCase() }, o),
      ),
    );

  sendOptions(office.command('maintenance'))
    .description('enter (--on) or leave (--off) maintenance mode')
    .option('--on', 'enter maintenance mode')
    .option('--off', 'leave maintenance mode')
    .option('--reason <text>', 'why')
    .action(
      action((o: SendOptions & { on?: boolean; off?: boolean; reason?: string }) => {
        if (!o.on === !o.off) throw new UsageError('give exactly one of --on and --off');
        return send(
          'station.maintenance',
          { enabled: !!o.on, ...(o.reason ? { reason: o.reason } : {}) },
          o,
        );
      }),
    );

  sendOptions(office.command('config'))
    .description('change configuration keys (versioned): --set station.hours.open=07:00')
    .requiredOption('--config-version <n>', 'version of this change (must grow)')
    .requiredOption('--set <key=value...>', 'dotted key and JSON or text value')
    .action(
      action((o: SendOptions & { configVersion: string; set: string[] }) => {
        const settings: Record<string, string | number | boolean | null> = {};
        for (const kv of o.set) {
          const eq = kv.indexOf('=');
          if (eq <= 0) throw new UsageError(`--set ${kv}: expected key=value`);
          const raw = kv.slice(eq + 1);
          let value: string | number | boolean | null = raw;
          try {
            const j = JSON.parse(raw) as unknown;
            if (j === null || ['number', 'boolean', 'string'].includes(typeof j))
              value = j as never;
          } catch {
            /* plain text */
          }
          settings[kv.slice(0, eq)] = value;
        }
        return send(
          'config.change',
          { version: positiveInt(o.configVersion, '--config-version'), settings },
          o,
        );
      }),
    );

  brokerOptions(office.command('watch'))
    .description('print events (and answers, presence, state) as JSON lines')
    .option('--station <id>', 'one station (default: all)')
    .option('--all', 'also print presence, state, heartbeats and command answers')
    .option('--count <n>', 'exit after this many events')
    .action(
      action(async (o: BrokerOptions & { station?: string; all?: boolean; count?: string }) => {
        if (o.station && !isStationId(o.station))
          throw new UsageError(`--station: invalid station id ${o.station}`);
        const prefix = o.prefix ?? 'jpki-locker/v1';
        const subs = o.station
          ? [o.all ? `${prefix}/${o.station}/#` : new StationTopics(o.station, prefix).events]
          : [o.all ? fleetTopics.all(prefix) : fleetTopics.events(prefix)];
        const limit = o.count ? positiveInt(o.count, '--count') : Infinity;
        const client = await connect(o);
        let seen = 0;
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          client.on('message', (topic, payload, packet) => {
            let value: unknown = payload.toString('utf8');
            try {
              value = JSON.parse(value as string);
            } catch {
              /* print as text */
            }
            process.stdout.write(
              `${JSON.stringify({ topic, retained: packet.retain, payload: value })}\n`,
            );
            if (topic.endsWith('/events') && ++seen >= limit) resolve();
          });
          client.on('close', stop);
          void client
            .subscribeAsync(subs, { qos: 1 })
            .then(() => process.stderr.write(`watching ${subs.join(' ')}\n`));
        });
        await client.endAsync(true).catch(() => undefined);
        return ExitCode.Ok;
      }),
    );

  office
    .command('make-signer')
    .description(
      "development only: a command-signing CA, a signer and the CA's first CRL (trust the CA in trust.commandAnchors)",
    )
    .requiredOption('--out <dir>', 'output folder')
    .action(
      action(async (o: { out: string }) => {
        mkdirSync(o.out, { recursive: true });
        const ca = await createDevCa('jpki-locker development command CA');
        const signer = await issueDevCert(ca, {
          commonName: 'jpki-locker development back office',
          usage: 'command',
        });
        const folder = new CommandCaFolder(o.out);
        folder.create(ca);
        const crl = await folder.issueCrl();
        writeFileSync(path.join(o.out, 'signer.pem'), signer.certPem);
        writeFileSync(path.join(o.out, 'signer-key.pem'), signer.keyPem, { mode: 0o600 });
        process.stdout.write(
          `${JSON.stringify({ anchor: folder.file('cert'), caKey: folder.file('key'), crl: crl.file, crlNextUpdate: crl.nextUpdate, signCert: path.join(o.out, 'signer.pem'), signKey: path.join(o.out, 'signer-key.pem') })}\n`,
        );
        return ExitCode.Ok;
      }),
    );

  brokerOptions(office.command('command-crl'))
    .description(
      "issue the command CA's CRL (after --revoke: with those office certificates on it) and with --publish send it, retained, to every station",
    )
    .requiredOption('--ca-dir <dir>', 'the command-CA folder (made by make-signer)')
    .option('--revoke <cert.pem...>', 'office certificates to revoke first')
    .option('--reason <name>', 'CRLReason of --revoke (RFC 5280 name)', 'keyCompromise')
    .option('--valid-days <n>', 'days until nextUpdate', String(DEFAULT_CRL_VALID_DAYS))
    .option('--publish', 'publish the CRL retained on <prefix>/fleet/command-crl')
    .action(
      action(
        async (
          o: BrokerOptions & {
            caDir: string;
            revoke?: string[];
            reason: string;
            validDays: string;
            publish?: boolean;
          },
        ) => {
          const reason = CRL_REASON_NAMES.find((n) => n === o.reason);
          if (!reason) throw new UsageError(`--reason: one of ${CRL_REASON_NAMES.join(', ')}`);
          const days = positiveInt(o.validDays, '--valid-days');
          const folder = new CommandCaFolder(o.caDir);
          const revoked: string[] = [];
          try {
            for (const f of o.revoke ?? [])
              revoked.push(
                await folder.revoke(readFile(f, 'certificate').toString('utf8'), reason),
              );
          } catch (err) {
            throw new UsageError((err as Error).message);
          }
          let crl;
          try {
            crl = await folder.issueCrl(days);
          } catch (err) {
            throw new UsageError((err as Error).message);
          }
          if (o.publish) {
            const client = await connect(o);
            try {
              await client.publishAsync(
                commandCrlTopic(o.prefix),
                JSON.stringify(commandCrlMessage(crl.der, new Date())),
                { qos: 1, retain: true },
              );
            } finally {
              await client.endAsync(true).catch(() => undefined);
            }
          }
          const { der: _der, ...facts } = crl;
          process.stdout.write(
            `${JSON.stringify({ ...facts, revokedNow: revoked, published: !!o.publish })}\n`,
          );
          return ExitCode.Ok;
        },
      ),
    );
}
