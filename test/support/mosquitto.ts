/**
 * A private mosquitto for tests: free loopback ports, a generated configuration, a CA with
 * per-station client certificates, and ACLs that confine each station to its own topics.
 *
 * Listeners, as docs/mqtt.md documents for production, with one set of authentication
 * settings for all (`per_listener_settings false`: with `true`, mosquitto 2.0.21 of Debian 13
 * drops the messages queued for a persisted session after a restart; docs/mqtt.md says why):
 * - plain (stations): user name + password (password file), the same ACL;
 * - TLS (stations): client certificate required, `use_identity_as_username true` (the
 *   certificate CN becomes the user name), the same ACL;
 * - office TLS: only certificates of a separate office CA, for back-office services that
 *   keep several connections (their client ids are their own).
 * Both station listeners set `use_username_as_clientid true`: the broker replaces the client
 * id a station sends with its user name, so one station's credentials can never take over
 * another station's session. `max_packet_size` bounds every packet the broker accepts.
 * The station TLS listener accepts the office CA too, so `office` may also log in there (its
 * client id is then `office`: one such connection at a time).
 * ACL: user `office` may read and write every station's topics; every other user `%u` may
 * write only its own presence/state/heartbeat/events/response topics and read only its own
 * `cmd` topic (docs/mqtt.md shows the same file for production).
 *
 * Started as root, mosquitto drops to the `mosquitto` user before reading its key: the
 * folder and files are made world-readable (test material only).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createDevCa, issueDevCert, type DevCredential } from './dev-pki.js';
import { waitFor } from './wait.js';

/** Asks the OS for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Credentials of one broker user. */
export interface BrokerUser {
  name: string;
  password: string;
  /** TLS client certificate (CN = name) and key, PEM. */
  cert: string;
  key: string;
}

export interface MosquittoOptions {
  /** Station ids to create users and certificates for. */
  stations: string[];
  /** Extra ACL lines appended at the end. */
  extraAcl?: string[];
  /**
   * Keep sessions and retained messages across a restart (saved on a clean stop), so a
   * subscriber with a persistent session gets what was published while it was away.
   */
  persistence?: boolean;
  /** The broker's `max_packet_size` in bytes (default 1 MiB; 0 = mosquitto's unlimited default). */
  maxPacketBytes?: number;
}

/** Default `max_packet_size` of the test broker (as docs/mqtt.md recommends). */
export const BROKER_MAX_PACKET_BYTES = 1_048_576;

/** The ACL confining station `%u` to its own topics; `office` sees everything. */
export function stationAcl(prefix = 'jpki-locker/v1'): string[] {
  return [
    'user office',
    `topic readwrite ${prefix}/#`,
    '',
    `pattern write ${prefix}/%u/status`,
    `pattern write ${prefix}/%u/state/+`,
    `pattern write ${prefix}/%u/heartbeat`,
    `pattern write ${prefix}/%u/events`,
    `pattern write ${prefix}/%u/cmd/response`,
    `pattern read ${prefix}/%u/cmd`,
    // Every station reads the command CA's CRL (the office publishes it, retained).
    `pattern read ${prefix}/fleet/command-crl`,
  ];
}

/** A running mosquitto. */
export class Mosquitto {
  #proc: ChildProcess | undefined;
  #stderr = '';
  readonly users = new Map<string, BrokerUser>();

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly tlsPort: number,
    readonly officePort: number,
    readonly ca: DevCredential,
    /** Issues the office's client certificate (not trusted by the station listeners' CA). */
    readonly officeCa: DevCredential,
  ) {}

  /** Generates everything and starts the broker; resolves when it accepts connections. */
  static async start(options: MosquittoOptions): Promise<Mosquitto> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mosquitto-'));
    // mosquitto runs as user `mosquitto`: it must read the files, and write when persisting.
    chmodSync(dir, options.persistence ? 0o777 : 0o755);
    const ca = await createDevCa('jpki-locker test broker CA');
    const server = await issueDevCert(ca, {
      commonName: 'localhost',
      usage: 'server',
      sanIps: ['127.0.0.1'],
      sanDns: ['localhost'],
    });
    const officeCa = await createDevCa('jpki-locker test office CA');
    const m = new Mosquitto(
      dir,
      await freePort(),
      await freePort(),
      await freePort(),
      ca,
      officeCa,
    );
    const write = (name: string, text: string) => {
      const f = path.join(dir, name);
      writeFileSync(f, text);
      chmodSync(f, 0o644);
      return f;
    };
    write('ca.pem', ca.certPem);
    write('office-ca.pem', officeCa.certPem);
    write('station-listener-ca.pem', ca.certPem + officeCa.certPem);
    write('server.pem', server.certPem);
    write('server-key.pem', server.keyPem);
    const passwd = write('passwd', '');
    for (const name of ['office', ...options.stations]) {
      const cred = await issueDevCert(name === 'office' ? officeCa : ca, {
        commonName: name,
        usage: 'client',
      });
      const user = {
        name,
        password: `pw-${name}-${Math.random().toString(36).slice(2)}`,
        cert: cred.certPem,
        key: cred.keyPem,
      };
      m.users.set(name, user);
      execFileSync('mosquitto_passwd', ['-b', passwd, name, user.password]);
    }
    chmodSync(passwd, 0o644);
    write('acl', [...stationAcl(), ...(options.extraAcl ?? []), ''].join('\n'));
    write(
      'mosquitto.conf',
      [
        'per_listener_settings false',
        'allow_anonymous false',
        `password_file ${path.join(dir, 'passwd')}`,
        `acl_file ${path.join(dir, 'acl')}`,
        ...(options.persistence
          ? ['persistence true', `persistence_location ${dir}/`, 'autosave_interval 1']
          : ['persistence false']),
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        'log_type notice',
        'log_type information',
        'max_queued_messages 200000',
        ...(options.maxPacketBytes === 0
          ? []
          : [`max_packet_size ${options.maxPacketBytes ?? BROKER_MAX_PACKET_BYTES}`]),
        '',
        `listener ${m.port} 127.0.0.1`,
        'use_username_as_clientid true',
        '',
        `listener ${m.tlsPort} 127.0.0.1`,
        `cafile ${path.join(dir, 'station-listener-ca.pem')}`,
        `certfile ${path.join(dir, 'server.pem')}`,
        `keyfile ${path.join(dir, 'server-key.pem')}`,
        'require_certificate true',
        'use_identity_as_username true',
        'use_username_as_clientid true',
        '',
        `listener ${m.officePort} 127.0.0.1`,
        `cafile ${path.join(dir, 'office-ca.pem')}`,
        `certfile ${path.join(dir, 'server.pem')}`,
        `keyfile ${path.join(dir, 'server-key.pem')}`,
        'require_certificate true',
        'use_identity_as_username true',
        '',
      ].join('\n'),
    );
    await m.restart();
    return m;
  }

  /** The configuration file. */
  get configFile(): string {
    return path.join(this.dir, 'mosquitto.conf');
  }
  /** `mqtt://127.0.0.1:<port>` (password listener). */
  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }
  /** `mqtts://127.0.0.1:<port>` (client-certificate listener). */
  get tlsUrl(): string {
    return `mqtts://127.0.0.1:${this.tlsPort}`;
  }
  /** `mqtts://127.0.0.1:<port>` (office listener: office CA certificates only). */
  get officeUrl(): string {
    return `mqtts://127.0.0.1:${this.officePort}`;
  }
  /** Everything mosquitto wrote to stderr so far (for failure messages). */
  get log(): string {
    return this.#stderr;
  }
  get running(): boolean {
    return this.#proc !== undefined;
  }

  user(name: string): BrokerUser {
    const u = this.users.get(name);
    if (!u) throw new Error(`no broker user ${name}`);
    return u;
  }

  /** Starts (again, on the same ports) and waits until both listeners accept connections. */
  async restart(): Promise<void> {
    if (this.#proc) return;
    const proc = spawn('mosquitto', ['-c', this.configFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.#proc = proc;
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (d: string) => {
      this.#stderr += d;
      if (this.#stderr.length > 1_000_000) this.#stderr = this.#stderr.slice(-500_000);
    });
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code) =>
        reject(new Error(`mosquitto exited (${code}):\n${this.#stderr}`)),
      ),
    );
    exited.catch(() => undefined);
    proc.once('exit', () => {
      if (this.#proc === proc) this.#proc = undefined;
    });
    // No event announces a listening port: re-checked every 20 ms, and at once on exit.
    let gone = false;
    exited.catch(() => (gone = true));
    await waitFor(
      async () => {
        if (gone) throw new Error(`mosquitto exited at start:\n${this.#stderr}`);
        const ports = [this.port, this.tlsPort, this.officePort];
        return (await Promise.all(ports.map(canConnect))).every(Boolean);
      },
      'mosquitto to listen',
      { timeoutMs: 10_000, pollMs: 20, wake: [[proc, 'exit']], detail: () => this.#stderr },
    );
  }

  /** Stops the broker (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  async stop(): Promise<void> {
    const proc = this.#proc;
    if (!proc) return;
    this.#proc = undefined;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  }

  /** Stops the broker and removes its folder. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
