import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Secret } from '../shared/secret.js';
import { createLogger } from './log.js';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  const log = createLogger({ level: 'debug', format: 'json', destination: stream });
  return { log, text: () => text };
}

describe('logger', () => {
  it('writes JSON lines with the component namespace', () => {
    const { log, text } = capture();
    log.child({ component: 'mqtt' }).info({ depth: 3 }, 'outbox');
    const line = JSON.parse(text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ component: 'mqtt', depth: 3, msg: 'outbox', level: 30 });
  });

  it('never writes a PIN, password, key or certificate personal data, wherever it sits', () => {
    const { log, text } = capture();
    log.info({ pin: '4821' }, 'plain pin field');
    log.info({ attempt: { pin: new Secret('4821'), reader: 'r' } }, 'secret inside');
    log.info(
      { card: { holder: { password: 'ABC123XYZ', privateKey: '-----BEGIN PRIVATE KEY-----' } } },
      'nested',
    );
    log.info({ cert: { subject: 'C=JP, CN=山田太郎', subjectAltName: '東京都千代田区' } }, 'cert');
    log.info({ typed: new Secret('4821') }, 'secret under any name');
    log.error({ err: new Error('failed') }, 'error keeps its message');
    const out = text();
    expect(out).not.toContain('4821');
    expect(out).not.toContain('ABC123XYZ');
    expect(out).not.toContain('PRIVATE KEY');
    expect(out).not.toContain('山田');
    expect(out).not.toContain('千代田');
    expect(out).toContain('[redacted]');
    expect(out).toContain('failed');
  });

  it('Secret hides its value from JSON, string conversion and inspection', async () => {
    const s = new Secret('0000');
    const { inspect } = await import('node:util');
    expect(JSON.stringify({ s })).toBe('{"s":"[redacted]"}');
    expect(`${s}`).toBe('[redacted]');
    expect(inspect(s)).not.toContain('0000');
    expect(s.reveal()).toBe('0000');
  });
});
