/**
 * FHIR date / dateTime / instant strings to precision-aware millisecond
 * ranges (see {@link DateValue} in `../index-values.ts`).
 */

const DATE_PATTERN =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

const DAY = 86_400_000;

function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  if (year >= 100) return Date.UTC(year, month, day, hour, minute, second, ms);
  const d = new Date(Date.UTC(2000, month, day, hour, minute, second, ms));
  d.setUTCFullYear(year);
  return d.getTime();
}

/**
 * The inclusive [low, high] range in ms since the epoch that a FHIR date,
 * dateTime or instant covers, given its precision (year, month, day, minute,
 * second, fraction). No time zone means UTC. Returns `undefined` for text
 * that is not such a date (e.g. a `time`).
 *
 * @example
 * ```ts
 * dateRange('1980'); // [Date.UTC(1980,0,1), Date.UTC(1981,0,1) - 1]
 * dateRange('2020-03-04T10:00:00+01:00'); // [Date.UTC(2020,2,4,9), Date.UTC(2020,2,4,9,0,0,999)]
 * ```
 */
export function dateRange(text: string): [low: number, high: number] | undefined {
  const m = DATE_PATTERN.exec(text);
  if (m === null) return undefined;
  const year = Number(m[1]);
  if (m[2] === undefined) return [utc(year, 0, 1), utc(year + 1, 0, 1) - 1];
  const month = Number(m[2]) - 1;
  if (m[3] === undefined) return [utc(year, month, 1), utc(year, month + 1, 1) - 1];
  const day = Number(m[3]);
  if (m[4] === undefined) {
    const low = utc(year, month, day);
    return [low, low + DAY - 1];
  }
  let offset = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.charCodeAt(0) === 45 ? -1 : 1;
    offset = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  if (m[6] === undefined) {
    const low = utc(year, month, day, hour, minute) - offset;
    return [low, low + 59_999];
  }
  const second = Number(m[6]);
  const fraction = m[7];
  if (fraction === undefined) {
    const low = utc(year, month, day, hour, minute, second) - offset;
    return [low, low + 999];
  }
  const ms = Number((fraction + '00').slice(0, 3));
  const low = utc(year, month, day, hour, minute, second, ms) - offset;
  return [low, fraction.length >= 3 ? low : low + 10 ** (3 - fraction.length) - 1];
}
