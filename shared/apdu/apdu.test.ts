import { describe, expect, it } from 'vitest';
import { commandForLog, fromHex, responseForLog } from './apdu.js';
import { computeSignatureCommand, selectApplicationCommand, verifyCommand } from './jpki.js';

describe('APDUs in debug logs', () => {
  it('VERIFY shows its header and length, never the PIN', () => {
    const s = commandForLog(verifyCommand(new TextEncoder().encode('1234')));
    expect(s).toBe('0020008004 <4 bytes redacted>');
    expect(s).not.toContain('31323334');
  });

  it('CHANGE REFERENCE DATA and unknown instructions are redacted (fail closed)', () => {
    expect(commandForLog(fromHex('00 24 01 80 06 41 42 43 31 32 33'))).not.toContain('414243');
    expect(commandForLog(fromHex('80 ee 00 00 02 ab cd'))).toBe('80ee000002 <2 bytes redacted>');
    expect(commandForLog(computeSignatureCommand(new Uint8Array(51)))).toContain('redacted');
  });

  it('SELECT, READ BINARY and an empty VERIFY are shown whole', () => {
    expect(commandForLog(selectApplicationCommand())).toBe('00a4040c0ad392f000260100000001');
    expect(commandForLog(fromHex('00 b0 00 00 00'))).toBe('00b0000000');
    expect(commandForLog(verifyCommand())).toBe('00200080');
  });

  it('responses show data length and SW only', () => {
    expect(responseForLog(fromHex('30 82 01 0a 90 00'))).toBe('<4 data bytes> 9000');
    expect(responseForLog(fromHex('63 c2'))).toBe('<0 data bytes> 63c2');
    expect(responseForLog(fromHex('90'))).toBe('<1 bytes, no SW>');
  });
});
