import { describe, expect, it } from 'vitest';
import { progressPrinter } from './crl.js';

function sink(isTTY: boolean) {
  let text = '';
  return {
    isTTY,
    write: (s: string) => (text += s),
    get text() {
      return text;
    },
  };
}

const MB = 1 << 20;
function feed(p: ReturnType<typeof progressPrinter>, total: number | undefined) {
  for (let bytes = 0; bytes <= 20 * MB; bytes += MB) p.onProgress({ bytes, totalBytes: total });
  p.done();
}

describe('crl import progress', () => {
  it('piped: one line per step, no carriage returns', () => {
    for (const total of [20 * MB, undefined]) {
      const out = sink(false);
      feed(progressPrinter(out), total);
      expect(out.text).not.toContain('\r');
      expect(out.text.endsWith('\n')).toBe(true);
      const lines = out.text.trimEnd().split('\n');
      expect(lines.length).toBeGreaterThan(1);
      for (const line of lines) expect(line).toMatch(/^importing /);
    }
  });

  it('on a terminal: redrawn in place and ended with one newline, also without a known size', () => {
    for (const total of [20 * MB, undefined]) {
      const out = sink(true);
      feed(progressPrinter(out), total);
      expect(out.text.startsWith('\r')).toBe(true);
      expect(out.text.endsWith('\n')).toBe(true);
      expect(out.text.match(/\n/g)).toHaveLength(1);
    }
  });
});
