#!/usr/bin/env node
// Entry point of the `jpki-locker` command: runs the TypeScript sources through tsx.
// `console` and `office` are the office side (office/cli); every other group the station's.
import { register } from 'tsx/esm/api';

register();
const group = process.argv[2];
if (group === 'console' || group === 'office') {
  const { main } = await import('../office/cli/main.ts');
  await main(process.argv);
} else {
  await import('../controller/cli/main.ts');
}
