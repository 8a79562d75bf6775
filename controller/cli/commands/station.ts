import type { Command } from 'commander';
import { ExitCode } from '../../exit-codes.js';
import { createLogger } from '../../log.js';
import { runDaemon } from '../../daemon.js';
import { openDatabase } from '../../storage/db.js';
import path from 'node:path';
import { createGpio } from '../../../hardware/gpio/index.js';
import { EmbeddedBroker } from '../../demo/embedded-broker.js';
import {
  demoConfig,
  demoHardware,
  demoHolders,
  primeDemoCrls,
  DemoSimulator,
  ensureDemoPki,
} from '../../demo/demo.js';
import { BackOffice, DEMO_SCRIPTS, officePkiFiles, runDemoStory } from '../../demo/demo-script.js';
import { loadCommandSigner } from '../../mqtt/command-signer.js';
import { applyStoredOverrides } from '../../config/overrides.js';
import { action, resolveConfig, UsageError } from '../context.js';

/**
 * Ends the process once the station has stopped: every component has released what it owns
 * and the logs are written (synchronously), so nothing is lost; a native library's
 * lingering thread (pcsclite) must not keep a stopped daemon alive until systemd kills it.
 */
function exitWhenStopped(code: ExitCode): never {
  process.exit(code);
}

/** `start`, `db migrate`: running the station and managing its database. */
export function registerStation(program: Command): void {
  program
    .command('start')
    .description('run the station daemon')
    .option('-c, --config <file>', 'configuration file (YAML)')
    .action(
      action(async (opts: { config?: string }) => {
        const fromFile = resolveConfig(opts.config);
        const log = createLogger(fromFile.log);
        // The back office's accepted config.change overrides, on top of the file.
        const config = applyStoredOverrides(fromFile, (m) => log.warn(m));
        // A remote `log.level` is one of them: apply it before anything logs through children.
        if (config.log.level !== fromFile.log.level) {
          log.info(
            { from: fromFile.log.level, to: config.log.level },
            'log level set by the back office',
          );
          log.level = config.log.level;
        }
        return exitWhenStopped(await runDaemon(config, log));
      }),
    );

  program
    .command('demo')
    .description(
      'run the demo station: embedded broker, simulated card, boards and relays, SQLite under ./data/',
    )
    .option('--data <dir>', 'folder for the database and the generated test PKI', './data')
    .option('--port <port>', 'web port for the kiosk and the simulator page', '8080')
    .option('--broker-port <port>', 'port of the embedded MQTT broker', '18830')
    .option(
      '--script <name>',
      `run a story with no person (${DEMO_SCRIPTS.join(', ')}): print the events, exit 0 when it ends as it should`,
    )
    .action(
      action(async (opts: { data: string; port: string; brokerPort: string; script?: string }) => {
        if (opts.script !== undefined) {
          if (!(DEMO_SCRIPTS as readonly string[]).includes(opts.script))
            throw new UsageError(`--script must be one of: ${DEMO_SCRIPTS.join(', ')}`);
          const log = createLogger({ level: process.env.JPKI_LOCKER_LOG_LEVEL ?? 'error' });
          const stop = new AbortController();
          const onSignal = () => stop.abort();
          process.once('SIGINT', onSignal);
          process.once('SIGTERM', onSignal);
          try {
            const code = await runDemoStory(opts.script, {
              dataDir: opts.data,
              log,
              signal: stop.signal,
            });
            return code === 0 ? ExitCode.Ok : ExitCode.Failure;
          } finally {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
          }
        }
        const webPort = Number(opts.port);
        const brokerPort = Number(opts.brokerPort);
        if (!Number.isInteger(webPort) || webPort < 0 || webPort > 65535)
          throw new UsageError('--port must be a port number');
        if (!Number.isInteger(brokerPort) || brokerPort < 0 || brokerPort > 65535)
          throw new UsageError('--broker-port must be a port number');
        // Warnings and errors only, unless asked: the banner below stays on the screen.
        const log = createLogger({ level: process.env.JPKI_LOCKER_LOG_LEVEL || 'warn' });
        const dataDir = path.resolve(opts.data);
        process.stdout.write(
          `preparing the demo in ${dataDir} (the first run generates a test PKI there)\n`,
        );
        const pki = await ensureDemoPki(dataDir);
        const office = officePkiFiles(dataDir, pki);
        const config = demoConfig(dataDir, pki, {
          webPort,
          brokerPort,
          commandAnchors: [office.caCert],
        });
        await primeDemoCrls(config);
        const { reader, board, gpio } = demoHardware(config);
        const holders = demoHolders(dataDir, pki);
        let simulator: DemoSimulator | undefined;
        let officeLink: BackOffice | undefined;
        const code = await runDaemon(config, log, {
          hardware: { card: reader, board, gpio },
          preComponents: () => [
            new EmbeddedBroker('127.0.0.1', brokerPort, log.child({ component: 'broker' })),
          ],
          onReady: (station) => {
            simulator = new DemoSimulator(
              station,
              reader,
              board,
              gpio,
              holders,
              log.child({ component: 'simulator' }),
            );
            simulator.attach();
            // The simulator's back-office buttons sign commands with the demo office's key.
            const sim = simulator;
            void BackOffice.connect(
              config.mqtt.url,
              loadCommandSigner(office.signerKey, office.signerCert),
              config.station.id,
              config.mqtt.topicPrefix,
              (line) => sim.event(`event ${line}`),
            ).then(
              (backOffice) => {
                officeLink = backOffice;
                if (office.crl)
                  backOffice
                    .publishCommandCrl(office.crl)
                    .catch((err: unknown) => log.warn({ err }, 'command CRL not published'));
                sim.attachOffice({
                  send: (kind, body) => backOffice.send(kind, body),
                  spki: (h) => h.spki,
                });
              },
              (err: unknown) => log.warn({ err }, 'the simulated back office cannot connect'),
            );
            const url = station.web?.url ?? '';
            process.stdout.write(
              `\njpki-locker demo is running.\n  station screen: ${url}/\n  simulator:      ${url}/simulator\n` +
                `Log: warnings only (JPKI_LOCKER_LOG_LEVEL=info shows everything). Press Ctrl+C to stop.\n\n`,
            );
          },
        });
        simulator?.detach();
        await officeLink?.close();
        return exitWhenStopped(code);
      }),
    );

  program
    .command('safe-state')
    .description(
      'drive every lock output to its locked state and exit (the systemd unit runs it before start and after stop)',
    )
    .option('-c, --config <file>', 'configuration file (YAML)')
    .action(
      action(async (opts: { config?: string }) => {
        const config = resolveConfig(opts.config);
        const gpio = createGpio(config.gpio);
        if (!gpio) {
          process.stdout.write(
            'no GPIO lock outputs configured (locker-board locks are pulsed by the boards and need nothing)\n',
          );
          return ExitCode.Ok;
        }
        await gpio.start();
        gpio.lockAll();
        await gpio.stop();
        const names = config.gpio.outputs.map((o) => `${o.name} (${o.failMode})`).join(', ');
        process.stdout.write(`every lock output driven to locked: ${names}\n`);
        return ExitCode.Ok;
      }),
    );

  const db = program.command('db').description('manage the station database');
  db.command('migrate')
    .description('create the database or bring its schema up to date, then exit')
    .option('-c, --config <file>', 'configuration file (YAML)')
    .option('--db <path>', 'database file instead of the configured one')
    .action(
      action((opts: { config?: string; db?: string }) => {
        const config = resolveConfig(opts.config);
        const file = opts.db ?? config.storage.path;
        const handle = openDatabase(file, { busyTimeoutMs: config.storage.busyTimeoutMs });
        const version = handle.pragma('user_version', { simple: true });
        handle.close();
        process.stdout.write(`${file}: schema version ${String(version)}\n`);
        return ExitCode.Ok;
      }),
    );
}
