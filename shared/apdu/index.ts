/** APDU codec, status words and JPKI constants: the wire contract between reader and card. */
export * from './apdu.js';
export * from './errors.js';
export * from './jpki.js';
export * from './der.js';
