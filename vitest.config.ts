import { readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import { leftOut } from './test/support/daemons.js';

/**
 * Two projects:
 * - `unit`: the tests beside the code (shared, hardware, firmware-host, controller, office,
 *   tools). No system daemon; `npm run test:unit`.
 * - `system`: the suites under test/, which start pcscd, mosquitto, socat and Chromium of their
 *   own on free loopback ports. A suite whose programs are missing is left out with a line
 *   saying which and how to install them; under CI=true a missing program fails the run.
 */
const UNIT = ['{shared,hardware,firmware-host,controller,office,tools}/**/*.test.ts'];
const SYSTEM_DIR = 'test';

function systemSuites(): string[] {
  return (readdirSync(SYSTEM_DIR, { recursive: true }) as string[])
    .map((f) => `${SYSTEM_DIR}/${f.split('\\').join('/')}`)
    .filter((f) => f.endsWith('.test.ts'))
    .sort();
}

function systemExclusions(): string[] {
  const { files, lines } = leftOut(systemSuites());
  if (lines.length === 0) return [];
  if (process.env.CI === 'true') {
    throw new Error(
      `CI=true and the machine lacks what system suites need (CI installs it all; nothing may skip):\n${lines.join('\n')}`,
    );
  }
  for (const line of lines) process.stderr.write(`${line}\n`);
  return [...files];
}

const exclude = ['node_modules/**', 'dist/**', 'test-artifacts/**'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Suites that start system daemons (pcscd, mosquitto, chromium) share machine-wide
    // resources; they take free ports and private folders, and are kept few per file.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT, exclude } },
      {
        extends: true,
        test: {
          name: 'system',
          include: [`${SYSTEM_DIR}/**/*.test.ts`],
          exclude: [...exclude, ...systemExclusions()],
        },
      },
    ],
  },
});
