import { describe, expect, it } from 'vitest';
import { approximateDateRange, approximateNumberRange, hasWordStartingWith } from './approximate.js';

describe('approximate', () => {
  it('widens a date by a tenth of its distance from now, on both sides', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const low = Date.parse('2016-01-01T00:00:00Z');
    const high = Date.parse('2016-01-02T00:00:00Z') - 1;
    const [lo, hi] = approximateDateRange(low, high, now);
    const gap = (now - (low + high) / 2) * 0.1;
    expect(lo).toBe(low - gap);
    expect(hi).toBe(high + gap);
    // A future date is widened by its distance too.
    const [flo, fhi] = approximateDateRange(now + 1000, now + 1000, now);
    expect([flo, fhi]).toEqual([now + 900, now + 1100]);
  });

  it('takes 10 % of a number, whatever its sign', () => {
    expect(approximateNumberRange(150)).toEqual([135, 165]);
    expect(approximateNumberRange(-10)).toEqual([-11, -9]);
    expect(approximateNumberRange(0)).toEqual([0, 0]);
  });

  it('matches a prefix at the start of any word only', () => {
    expect(hasWordStartingWith('carbon dioxide', 'carb')).toBe(true);
    expect(hasWordStartingWith('total carbon dioxide', 'carb')).toBe(true);
    expect(hasWordStartingWith('hydrocarbon', 'carb')).toBe(false);
  });
});
