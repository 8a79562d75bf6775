#!/usr/bin/env node
// Entry point of the `jpki-locker` command: runs the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../controller/cli/main.ts');
