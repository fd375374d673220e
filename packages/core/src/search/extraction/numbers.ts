/**
 * Precision ranges of decimal numbers, as the FHIR search page defines them:
 * `100` means [99.5, 100.5), `5.4` means [5.35, 5.45).
 */

/** Round away binary floating-point noise (`100 - 0.005` → `99.995`). */
export function clean(value: number): number {
  return Number(value.toPrecision(15));
}

/**
 * Number of significant decimal places of a number as JSON wrote it
 * (negative for exponent notation like `1e+21`). JSON parsing loses trailing
 * zeros, so `100.00` counts as `100`.
 *
 * @example
 * ```ts
 * decimalPlaces(5.4); // 1
 * decimalPlaces(100); // 0
 * decimalPlaces(1.5e-7); // 8
 * ```
 */
export function decimalPlaces(value: number): number {
  const text = String(value);
  const e = text.indexOf('e');
  const mantissa = e < 0 ? text : text.slice(0, e);
  const dot = mantissa.indexOf('.');
  const places = dot < 0 ? 0 : mantissa.length - dot - 1;
  return e < 0 ? places : places - Number(text.slice(e + 1));
}

/**
 * The [low, high] range implied by a number's precision: ± half a unit in its
 * last decimal place.
 *
 * @example
 * ```ts
 * precisionRange(100); // [99.5, 100.5]
 * precisionRange(5.4); // [5.35, 5.45]
 * ```
 */
export function precisionRange(value: number): [low: number, high: number] {
  const places = decimalPlaces(value);
  const half = places === 0 ? 0.5 : 0.5 * 10 ** -places;
  return places === 0 ? [value - 0.5, value + 0.5] : [clean(value - half), clean(value + half)];
}
