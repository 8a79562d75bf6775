import { describe, expect, it } from 'vitest';
import { FALLBACK_RESERVE_MS, requestBudgetMs } from './client.js';

describe('the online-check budget (trust.ocsp.timeoutMs)', () => {
  it('leaves the CRL fallback its reserve, so a silent responder adds at most timeoutMs', () => {
    expect(requestBudgetMs(500)).toBe(500 - FALLBACK_RESERVE_MS);
    expect(requestBudgetMs(5000)).toBe(5000 - FALLBACK_RESERVE_MS);
  });
  it('takes at most a tenth of a small budget, and never less than 1 ms', () => {
    expect(requestBudgetMs(50)).toBe(45);
    expect(requestBudgetMs(5)).toBe(5);
    expect(requestBudgetMs(1)).toBe(1);
    expect(requestBudgetMs(0)).toBe(1);
  });
});
