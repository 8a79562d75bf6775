/**
 * The station daemon (`runDaemon`, as `jpki-locker start` runs it) with its simulated GPIO
 * (`gpio.driver: sim`) wired to the test process over the Node IPC channel: the test plays the
 * world on the input side (door contacts, exit buttons, the fire-alarm panel) and sees every
 * relay output change, while the GPIO stays behind its interface in the daemon. The rest of
 * the station is the real stack of the configuration (pcscd, the board on a pty, mosquitto).
 *
 * Run with: node --import tsx test/support/gpio-station.ts CONFIG (spawned with an `ipc` stdio).
 * - to the daemon: `{ input: name, active: boolean }`;
 * - from the daemon: `{ output: name, state: 'locked' | 'unlocked' }` on every change, and
 *   `{ ready: true, outputs: { name: state } }` once the station is ready.
 */
import { applyStoredOverrides } from '../../controller/config/overrides.js';
import { loadConfigFile } from '../../controller/config/load.js';
import { runDaemon } from '../../controller/daemon.js';
import { createLogger } from '../../controller/log.js';
import { SimGpio } from '../../hardware/gpio/sim-gpio.js';

const fromFile = loadConfigFile(process.argv[2]!);
const log = createLogger(fromFile.log);
const config = applyStoredOverrides(fromFile, (m) => log.warn(m));
if (config.gpio.driver !== 'sim' || !process.send) {
  process.stderr.write('gpio-station: needs gpio.driver sim and an IPC channel\n');
  process.exit(2);
}
const send = (m: unknown) => process.send?.(m);
const gpio = new SimGpio(config.gpio, { log: log.child({ component: 'gpio' }) });
gpio.on('output', (e) => send({ output: e.name, state: e.state }));
process.on('message', (m: { input?: unknown; active?: unknown }) => {
  if (typeof m.input === 'string' && typeof m.active === 'boolean')
    gpio.setActive(m.input, m.active);
});
const code = await runDaemon(config, log, {
  hardware: { gpio },
  onReady: () =>
    send({
      ready: true,
      outputs: Object.fromEntries(
        config.gpio.outputs.map((o) => [o.name, gpio.outputState(o.name)]),
      ),
    }),
});
process.disconnect?.();
process.exit(code);
