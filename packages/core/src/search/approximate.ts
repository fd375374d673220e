/**
 * The `ap` (approximately) prefix and the `:text` word match, shared by every
 * implementation of search (the LMDB and PostgreSQL engines, the
 * subscriptions' matcher) so they all read them the same way. search.html
 * recommends 10 % for `ap`: of the value for numbers and quantities, of the
 * gap between now and the date for dates.
 */

/**
 * The range a date matches with `ap`: the search value's range widened on
 * both sides by 10 % of the distance from now to its middle. A value
 * matches when its own range overlaps this one.
 *
 * @example
 * ```ts
 * const now = Date.parse('2026-01-01');
 * approximateDateRange(Date.parse('2016-01-01'), Date.parse('2016-01-02') - 1, now);
 * // [2015-01-01 … 2017-01-02): one year either side, a tenth of the ten years
 * ```
 */
export function approximateDateRange(low: number, high: number, now: number): [number, number] {
  const gap = Math.abs(now - (low + high) / 2) * 0.1;
  return [low - gap, high + gap];
}

/**
 * The closed range a number or quantity matches with `ap`: the value ± 10 %.
 *
 * @example
 * ```ts
 * approximateNumberRange(150); // [135, 165]
 * ```
 */
export function approximateNumberRange(value: number): [number, number] {
  const delta = Math.abs(value) * 0.1;
  return [value - delta, value + delta];
}

/**
 * Whether a normalized text has a word starting with a normalized prefix
 * (the `:text` modifier of token searches: `Carbon` finds "Carbon dioxide"
 * and "Total carbon", not "Hydrocarbon").
 *
 * @example
 * ```ts
 * hasWordStartingWith('total carbon dioxide', 'carb'); // true
 * hasWordStartingWith('hydrocarbon', 'carb'); // false
 * ```
 */
export function hasWordStartingWith(text: string, prefix: string): boolean {
  return text.startsWith(prefix) || text.includes(` ${prefix}`);
}
