/** `jpki-locker console`: bad usage is refused with exit code 2 and a one-line reason. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('jpki-locker console usage', () => {
  it.each([
    [['console'], /--broker/],
    [['console', '--broker', 'http://x'], /--broker must be/],
    [
      ['console', '--broker', 'mqtt://127.0.0.1:1', '--listen', 'nowhere'],
      /--listen must be HOST:PORT/,
    ],
    [['console', '--broker', 'mqtt://127.0.0.1:1', '--sign-key', 'k.pem'], /go together/],
    [
      [
        'console',
        '--broker',
        'mqtt://127.0.0.1:1',
        '--sign-key',
        '/nonexistent/k',
        '--sign-cert',
        '/nonexistent/c',
      ],
      /cannot load the signer/,
    ],
    [
      ['console', '--broker', 'mqtt://127.0.0.1:1', '--heartbeat-sec', '0'],
      /--heartbeat-sec must be a positive number/,
    ],
  ])('%j exits 2', async (args, message) => {
    const r = await runCli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
  });
});
