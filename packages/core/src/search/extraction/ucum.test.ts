import { describe, expect, it } from 'vitest';
import { canonicalQuantityQuery, UCUM_SYSTEM } from './ucum.js';

describe('canonicalQuantityQuery', () => {
  it('converts the value and its precision range of a UCUM search value', () => {
    const c = canonicalQuantityQuery({ value: 5, low: 4.5, high: 5.5, system: UCUM_SYSTEM, code: 'mg' });
    expect(c?.code).toBe('g');
    expect(c?.value).toBeCloseTo(0.005, 12);
    expect(c?.low).toBeCloseTo(0.0045, 12);
    expect(c?.high).toBeCloseTo(0.0055, 12);
  });

  it('has none without a UCUM system, without a code, or for a code UCUM does not know', () => {
    expect(canonicalQuantityQuery({ value: 5, low: 4.5, high: 5.5, code: 'mg' })).toBeUndefined();
    expect(canonicalQuantityQuery({ value: 5, low: 4.5, high: 5.5, system: UCUM_SYSTEM })).toBeUndefined();
    const other = { value: 5, low: 4.5, high: 5.5, system: 'http://example.org', code: 'mg' };
    expect(canonicalQuantityQuery(other)).toBeUndefined();
    const unknown = { value: 5, low: 4.5, high: 5.5, system: UCUM_SYSTEM, code: 'not-a-unit' };
    expect(canonicalQuantityQuery(unknown)).toBeUndefined();
  });
});
