/**
 * UCUM canonicalization through `@lhncbc/ucum-lhc` (a dependency of
 * `fhirpath`), cached per unit code: a quantity in `mg` is indexed as `g`
 * with its value scaled, so that `5.4 mg` and `0.0054 g` compare equal.
 */
import { createRequire } from 'node:module';
import { clean } from './numbers.js';

/** The UCUM code system URL. */
export const UCUM_SYSTEM = 'http://unitsofmeasure.org';

interface UcumConversion {
  status: string;
  magnitude: number;
  unitToExp: Record<string, number>;
  fromUnitIsSpecial: boolean;
}
interface UcumUtils {
  convertToBaseUnits(unit: string, value: number): UcumConversion;
}

/** How to convert one unit code: affine (`base = value * scale + offset`) or by calling the library. */
interface UnitConversion {
  code: string;
  scale: number;
  offset: number;
  /** Non-affine special unit (e.g. `[pH]`): call the library each time. */
  special: boolean;
}

let utils: UcumUtils | null | undefined;
const cache = new Map<string, UnitConversion | null>();

function loadUtils(): UcumUtils | null {
  if (utils === undefined) {
    try {
      const local = createRequire(import.meta.url);
      const fromFhirpath = createRequire(local.resolve('fhirpath'));
      const pkg = fromFhirpath('@lhncbc/ucum-lhc') as { UcumLhcUtils: { getInstance(): UcumUtils } };
      utils = pkg.UcumLhcUtils.getInstance();
    } catch {
      utils = null;
    }
  }
  return utils;
}

function convert(lib: UcumUtils, unit: string, value: number): UcumConversion | undefined {
  try {
    const r = lib.convertToBaseUnits(unit, value);
    return r.status === 'succeeded' && Number.isFinite(r.magnitude) ? r : undefined;
  } catch {
    return undefined;
  }
}

/** `{g: 1, m: -2}` → `g.m-2`; dimensionless → `1`. */
function canonicalCode(exponents: Record<string, number>): string {
  const keys = Object.keys(exponents)
    .filter((k) => exponents[k] !== 0)
    .sort();
  if (keys.length === 0) return '1';
  return keys.map((k) => (exponents[k] === 1 ? k : `${k}${exponents[k]}`)).join('.');
}

function lookup(unit: string): UnitConversion | null {
  let entry = cache.get(unit);
  if (entry !== undefined) return entry;
  entry = null;
  const lib = loadUtils();
  const at1 = lib ? convert(lib, unit, 1) : undefined;
  if (lib && at1) {
    const code = canonicalCode(at1.unitToExp);
    if (!at1.fromUnitIsSpecial) {
      entry = { code, scale: at1.magnitude, offset: 0, special: false };
    } else {
      const at0 = convert(lib, unit, 0);
      const at2 = convert(lib, unit, 2);
      const offset = at0?.magnitude ?? Number.NaN;
      const scale = at1.magnitude - offset;
      const affine =
        at2 !== undefined && Math.abs(offset + 2 * scale - at2.magnitude) <= 1e-9 * Math.abs(at2.magnitude);
      entry = { code, scale, offset, special: !affine };
    }
  }
  cache.set(unit, entry);
  return entry;
}

/**
 * The UCUM-canonical form of `value` in `unit` (a UCUM code): the value in
 * base units and the canonical unit code (base units with exponents, sorted,
 * joined by `.`, `1` for dimensionless). `undefined` when the code is not
 * valid UCUM. Use the same function on query values.
 *
 * @example
 * ```ts
 * canonicalUcum(5.4, 'mg'); // { value: 0.0054, code: 'g' }
 * canonicalUcum(22, 'kg/m2'); // { value: 22000, code: 'g.m-2' }
 * canonicalUcum(37, 'Cel'); // { value: 310.15, code: 'K' }
 * ```
 */
export function canonicalUcum(value: number, unit: string): { value: number; code: string } | undefined {
  const conversion = lookup(unit);
  if (conversion === null) return undefined;
  if (conversion.special) {
    const r = convert(utils!, unit, value);
    return r === undefined ? undefined : { value: clean(r.magnitude), code: conversion.code };
  }
  return { value: clean(value * conversion.scale + conversion.offset), code: conversion.code };
}

/** A quantity search value in canonical UCUM units: the value, its precision range, and the unit code. */
export interface CanonicalQuantityQuery {
  code: string;
  value: number;
  low: number;
  high: number;
}

/**
 * The canonical form of a quantity search value (`value|system|code`), to
 * compare with the canonical forms the index holds: only for a UCUM system
 * and code that convert, else `undefined`. The engines and the subscriptions'
 * matcher all compare canonical quantities through this.
 *
 * @example
 * ```ts
 * canonicalQuantityQuery({ value: 1000, low: 999.5, high: 1000.5, system: UCUM_SYSTEM, code: 'g' });
 * // { code: 'g', value: 1000, low: 999.5, high: 1000.5 }
 * canonicalQuantityQuery({ value: 5, low: 4.5, high: 5.5, system: UCUM_SYSTEM, code: 'mg' });
 * // { code: 'g', value: 0.005, low: 0.0045, high: 0.0055 }
 * ```
 */
export function canonicalQuantityQuery(q: {
  value: number;
  low: number;
  high: number;
  system?: string;
  code?: string;
}): CanonicalQuantityQuery | undefined {
  if (q.system !== UCUM_SYSTEM || q.code === undefined) return undefined;
  const value = canonicalUcum(q.value, q.code);
  const low = canonicalUcum(q.low, q.code);
  const high = canonicalUcum(q.high, q.code);
  if (!value || !low || !high) return undefined;
  return { code: value.code, value: value.value, low: low.value, high: high.value };
}
