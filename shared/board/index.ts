/**
 * Locker-board wire protocols. Each protocol is a module of pure functions (encode, decode,
 * checksum) plus a streaming parser; drivers in hardware/locker-board and emulators in
 * firmware-host/ meet only here. Kerong CU16 is the first; CU12, 48-lock CU, Winnsen or
 * Modbus-RTU codecs go beside it as their own modules.
 */
export * from './frame-error.js';
export * as kerongCu16 from './kerong-cu16.js';
