import { FhirError } from '../errors/fhir-error.js';

const DATE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * The inclusive range of ms a FHIR date, dateTime or instant covers, by its
 * precision: `2020-03` is all of March 2020 (UTC when no zone is given).
 * Throws `FhirError('invalid')` naming `param` when malformed.
 *
 * @example
 * ```ts
 * parseDateRange('2020', '_since'); // { low: Date.UTC(2020,0,1), high: Date.UTC(2021,0,1) - 1 }
 * ```
 */
export function parseDateRange(value: string, param: string): { low: number; high: number } {
  const m = DATE.exec(value);
  if (!m) throw new FhirError('invalid', `Invalid date for ${param}: ${value}`, { expression: [param] });
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const offsetMs =
    zone && zone !== 'Z'
      ? (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000
      : 0;
  const year = Number(y);
  const month = mo ? Number(mo) - 1 : 0;
  const day = d ? Number(d) : 1;
  if (month > 11 || day < 1 || day > new Date(Date.UTC(year, month + 1, 0)).getUTCDate()) {
    throw new FhirError('invalid', `Invalid date for ${param}: ${value}`, { expression: [param] });
  }
  const low =
    Date.UTC(
      year,
      month,
      day,
      h ? Number(h) : 0,
      mi ? Number(mi) : 0,
      s ? Number(s) : 0,
      frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0,
    ) - offsetMs;
  if (h) return { low, high: low + (!s ? 60_000 : !frac ? 1000 : 1) - 1 };
  const end = !mo
    ? Date.UTC(year + 1, 0, 1)
    : !d
      ? Date.UTC(year, month + 1, 1)
      : Date.UTC(year, month, day + 1);
  return { low, high: end - 1 };
}
