/**
 * A private mosquitto for tests: free loopback ports, a generated configuration, a CA with
 * per-station client certificates, and ACLs that confine each station to its own topics.
 *
 * Listeners (one set of authentication settings, `per_listener_settings false`):
 * - plain: user name + password (password file), the same ACL;
 * - TLS: client certificate required, `use_identity_as_username true` (the certificate CN
 *   becomes the user name), the same ACL.
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
import { createDevCa, issueDevCert, type DevCredential } from '../../controller/mqtt/dev-pki.js';

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
}

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
    readonly ca: DevCredential,
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
    const m = new Mosquitto(dir, await freePort(), await freePort(), ca);
    const write = (name: string, text: string) => {
      const f = path.join(dir, name);
      writeFileSync(f, text);
      chmodSync(f, 0o644);
      return f;
    };
    write('ca.pem', ca.certPem);
    write('server.pem', server.certPem);
    write('server-key.pem', server.keyPem);
    const passwd = write('passwd', '');
    for (const name of ['office', ...options.stations]) {
      const cred = await issueDevCert(ca, { commonName: name, usage: 'client' });
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
        // One set of authentication settings for both listeners. `per_listener_settings true`
        // loses messages with mosquitto 2.0.21 (Debian 13): a persisted offline session is not
        // tied to its listener again after a restart ("Failed to associate persisted user ...
        // with ACLs"), so every message queued for it is refused by the ACL check.
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
        '',
        `listener ${m.port} 127.0.0.1`,
        '',
        `listener ${m.tlsPort} 127.0.0.1`,
        `cafile ${path.join(dir, 'ca.pem')}`,
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
    const deadline = Date.now() + 10_000;
    for (;;) {
      const up = (await Promise.race([
        Promise.all([canConnect(this.port), canConnect(this.tlsPort)]).then((r) =>
          r.every(Boolean),
        ),
        exited,
      ])) as boolean;
      if (up) return;
      if (Date.now() > deadline) throw new Error(`mosquitto did not start:\n${this.#stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
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
