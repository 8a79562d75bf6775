// A station whose start-up blocks in a component until it is aborted, to test that SIGTERM
// during start-up stops the process cleanly. Run with: tsx slow-start-station.ts CONFIG
import { loadConfigFile } from '../../controller/config/load.js';
import { runDaemon } from '../../controller/daemon.js';
import { createLogger } from '../../controller/log.js';
import { StartAbortedError } from '../../controller/lifecycle.js';

const config = loadConfigFile(process.argv[2]!);
const log = createLogger({ level: 'info', format: 'json' });
const code = await runDaemon(config, log, {
  extraComponents: () => [
    {
      name: 'blocks-start',
      start: (signal: AbortSignal) =>
        new Promise<void>((_resolve, reject) => {
          process.stderr.write('BLOCKED-IN-START\n');
          signal.addEventListener('abort', () => reject(new StartAbortedError()), { once: true });
        }),
      stop: async () => {
        process.stderr.write('BLOCKER-STOPPED\n');
      },
    },
  ],
});
process.exitCode = code;
