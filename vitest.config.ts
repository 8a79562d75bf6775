import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{shared,hardware,firmware-host,controller,test,tools}/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Suites that start system daemons (pcscd, mosquitto, chromium) share machine-wide
    // resources; they take free ports and private folders, and are kept few per file.
    maxWorkers: 2,
  },
});
