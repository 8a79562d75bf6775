/** The MQTT wire contract of jpki-locker (v1): topics, payload types, schemas, validators. */
export * from './topics.js';
export * from './commands.js';
export * from './events.js';
export * from './state.js';
export * from './api.js';
export * from './schemas.js';
export * from './validate.js';
export * from './receipt.js';
export * from './command-crl.js';
