import { getPrimitiveType } from '../definitions/index.js';

/**
 * Checks one JSON value of a primitive type. Returns `undefined` when valid,
 * otherwise the diagnostics and whether the JSON type itself was wrong.
 */
export type PrimitiveCheck = (value: unknown) => PrimitiveProblem | undefined;

/** Why a primitive value is invalid. */
export interface PrimitiveProblem {
  /** `structure`-like problem: wrong JSON type (e.g. a number where a string belongs). */
  wrongJsonType: boolean;
  diagnostics: string;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

const cache = new Map<string, PrimitiveCheck>();

/**
 * The check for a primitive type (`date`, `code`, `positiveInt`, ...). Formats
 * use the official regexes of the R4 StructureDefinitions (anchored), plus a
 * calendar check for dates (no 2023-02-30) and integer ranges.
 *
 * @example
 * ```ts
 * primitiveCheck('date')('2023-02-30'); // { wrongJsonType: false, diagnostics: '... not a valid date' }
 * primitiveCheck('boolean')(true); // undefined
 * ```
 */
export function primitiveCheck(type: string): PrimitiveCheck {
  let check = cache.get(type);
  if (check === undefined) {
    check = buildCheck(type);
    cache.set(type, check);
  }
  return check;
}

/**
 * The official regex of a primitive type (JS translation, anchored), or `undefined` when it has none.
 *
 * @example
 * ```ts
 * officialRegex('id')!.test('a_b'); // false
 * ```
 */
export function officialRegex(type: string): RegExp | undefined {
  const source = getPrimitiveType(type)?.jsRegex;
  return source === undefined ? undefined : new RegExp(`^(?:${source})$`);
}

function buildCheck(type: string): PrimitiveCheck {
  const def = getPrimitiveType(type);
  if (def === undefined) throw new Error(`Unknown primitive type ${type}`);
  switch (type) {
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? undefined : wrongType(v, 'a boolean'));
    case 'decimal':
      return (v) =>
        typeof v !== 'number' ? wrongType(v, 'a number') : Number.isFinite(v) ? undefined : bad(v, type);
    case 'integer':
      return integerCheck(type, INT32_MIN);
    case 'unsignedInt':
      return integerCheck(type, 0);
    case 'positiveInt':
      return integerCheck(type, 1);
    case 'base64Binary':
      return (v) =>
        typeof v !== 'string' ? wrongType(v, 'a string') : isBase64(v) ? undefined : bad(v, type);
    case 'xhtml':
      return (v) => (typeof v !== 'string' ? wrongType(v, 'a string') : v.length > 0 ? undefined : empty());
    case 'date':
    case 'dateTime':
    case 'instant':
      return dateCheck(type, officialRegex(type)!);
    default:
      return stringCheck(type, officialRegex(type));
  }
}

function stringCheck(type: string, regex: RegExp | undefined): PrimitiveCheck {
  return (v) => {
    if (typeof v !== 'string') return wrongType(v, 'a string');
    if (v.length === 0) return empty();
    if (regex !== undefined && !regex.test(v)) return bad(v, type);
    return undefined;
  };
}

function integerCheck(type: string, min: number): PrimitiveCheck {
  return (v) => {
    if (typeof v !== 'number') return wrongType(v, 'a number');
    if (!Number.isInteger(v)) return bad(v, type);
    if (v < min || v > INT32_MAX)
      return { wrongJsonType: false, diagnostics: `${v} is out of range for ${type}` };
    return undefined;
  };
}

function dateCheck(type: string, regex: RegExp): PrimitiveCheck {
  return (v) => {
    if (typeof v !== 'string') return wrongType(v, 'a string');
    if (v.length === 0) return empty();
    if (!regex.test(v)) return bad(v, type);
    if (v.length >= 10 && !isRealDay(v)) {
      return { wrongJsonType: false, diagnostics: `'${v}' is not a valid ${type}: no such day` };
    }
    return undefined;
  };
}

/**
 * For a string already matching the date regex with a day part (`YYYY-MM-DD...`): is the day in its month?
 *
 * @example
 * ```ts
 * isRealDay('2024-02-29'); // true
 * isRealDay('2023-02-29'); // false
 * ```
 */
export function isRealDay(v: string): boolean {
  const day = (v.charCodeAt(8) - 48) * 10 + (v.charCodeAt(9) - 48);
  if (day <= 28) return true;
  const month = (v.charCodeAt(5) - 48) * 10 + (v.charCodeAt(6) - 48);
  if (month === 2) {
    if (day > 29) return false;
    const year =
      (v.charCodeAt(0) - 48) * 1000 +
      (v.charCodeAt(1) - 48) * 100 +
      (v.charCodeAt(2) - 48) * 10 +
      v.charCodeAt(3) -
      48;
    return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  }
  return (
    day <= 30 ||
    month === 1 ||
    month === 3 ||
    month === 5 ||
    month === 7 ||
    month === 8 ||
    month === 10 ||
    month === 12
  );
}

/**
 * base64Binary per the official regex `(\s*([0-9a-zA-Z\+/=]){4}\s*)+`,
 * i.e. groups of four base64 characters with optional whitespace between
 * groups, checked in one linear pass (the regex backtracks on large attachments).
 *
 * @example
 * ```ts
 * isBase64('aGVs bG8/'); // true
 * isBase64('abc'); // false
 * ```
 */
export function isBase64(v: string): boolean {
  let count = 0;
  let inGroup = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      (c >= 48 && c <= 57) ||
      c === 43 ||
      c === 47 ||
      c === 61
    ) {
      count++;
      inGroup = count % 4;
    } else if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11) {
      // whitespace is only allowed between groups of four
      if (inGroup !== 0) return false;
    } else {
      return false;
    }
  }
  return count > 0 && count % 4 === 0;
}

function wrongType(v: unknown, expected: string): PrimitiveProblem {
  const actual = v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`;
  return { wrongJsonType: true, diagnostics: `expected ${expected}, found ${actual}` };
}

function bad(v: unknown, type: string): PrimitiveProblem {
  const shown = typeof v === 'string' && v.length > 60 ? `${v.slice(0, 57)}...` : String(v);
  return { wrongJsonType: false, diagnostics: `'${shown}' is not a valid ${type}` };
}

function empty(): PrimitiveProblem {
  return { wrongJsonType: false, diagnostics: 'empty string (FHIR forbids empty values)' };
}
