/**
 * Choosing among stored ValueSets (or CodeSystems) that share a canonical
 * URL (FHIR R4 references.html#canonical):
 * - `url|version` names the ones whose `version` is exactly that;
 * - `url` alone names the most recent one: the highest `version` when every
 *   candidate's version is dotted-numeric or semver (`2`, `1.10.0`,
 *   `2.0.0-beta.1`), else the one updated last (`meta.lastUpdated`);
 * - `status: retired` ones are chosen only when no other one matches;
 * - remaining ties go to the most recently updated, then the lowest id.
 */
import { parseCanonical } from './canonical.js';

/** What version selection reads of a stored ValueSet or CodeSystem. */
export interface Versioned {
  id?: string;
  url?: string;
  version?: string;
  status?: string;
  meta?: { lastUpdated?: string };
}

/**
 * The business version of a stored resource: its `version`, else a
 * `|version` written in its `url`.
 *
 * @example
 * ```ts
 * versionOf({ url: 'http://x/vs', version: '2.0' }); // '2.0'
 * versionOf({ url: 'http://x/cs|2.1' }); // '2.1'
 * ```
 */
export function versionOf(resource: Versioned): string | undefined {
  return resource.version || parseCanonical(resource.url ?? '').version;
}

/** Dotted-numeric (`2`, `1.10`), or semver `M.m.p` with a pre-release and / or build part. */
const SEMVER =
  /^(?:(\d+(?:\.\d+)*)|(\d+\.\d+\.\d+)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?)$/;

/** Compare digit strings as (unbounded) integers. */
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  return x.length !== y.length ? x.length - y.length : x < y ? -1 : x > y ? 1 : 0;
}

/** Semver pre-release identifiers: numeric ones numerically and below alphanumeric ones. */
function comparePre(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i]!, b[i]!];
    const [nx, ny] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    const c = nx && ny ? compareDigits(x, y) : nx ? -1 : ny ? 1 : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/**
 * Compare two dotted-numeric / semver versions (missing parts are 0, a
 * pre-release sorts before its release, build metadata is ignored), or
 * `undefined` when either is not one.
 *
 * @example
 * ```ts
 * compareVersions('1.10', '1.9'); // > 0
 * compareVersions('1.0', '1.0.0'); // 0
 * compareVersions('2.0.0-beta', '2.0.0'); // < 0
 * compareVersions('2024-01', '1.0'); // undefined
 * ```
 */
export function compareVersions(a: string, b: string): number | undefined {
  const [ma, mb] = [SEMVER.exec(a), SEMVER.exec(b)];
  if (!ma || !mb) return undefined;
  const [pa, pb] = [(ma[1] ?? ma[2]!).split('.'), (mb[1] ?? mb[2]!).split('.')];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const c = compareDigits(pa[i] ?? '0', pb[i] ?? '0');
    if (c !== 0) return c;
  }
  const [ra, rb] = [ma[3], mb[3]];
  if (ra === undefined || rb === undefined) return ra === rb ? 0 : ra === undefined ? 1 : -1;
  return comparePre(ra.split('.'), rb.split('.'));
}

const updatedAt = (r: Versioned): number => {
  const ms = r.meta?.lastUpdated ? Date.parse(r.meta.lastUpdated) : Number.NaN;
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
};

/** > 0 when `a` is more recent than `b` (a total order: version if `byVersion`, then update time, then lower id). */
function recency(a: Versioned, b: Versioned, byVersion: boolean): number {
  const v = byVersion ? (compareVersions(versionOf(a)!, versionOf(b)!) ?? 0) : 0;
  if (v !== 0) return v;
  const t = updatedAt(a) - updatedAt(b);
  if (t !== 0) return t;
  const [ia, ib] = [a.id ?? '', b.id ?? ''];
  return ia < ib ? 1 : ia > ib ? -1 : 0;
}

/**
 * The resource a canonical reference names among `candidates` (which all
 * have its URL): with `version`, one whose version is exactly that; without,
 * the most recent (see the module comment). `undefined` when none matches.
 *
 * @example
 * ```ts
 * const v1 = { id: 'a', url: 'http://x/vs', version: '1.0' };
 * const v2 = { id: 'b', url: 'http://x/vs', version: '2.0' };
 * pickVersion([v1, v2]); // v2
 * pickVersion([v1, v2], '1.0'); // v1
 * pickVersion([v1, v2], '9.9'); // undefined
 * ```
 */
export function pickVersion<T extends Versioned>(candidates: readonly T[], version?: string): T | undefined {
  let pool = version === undefined ? candidates : candidates.filter((c) => versionOf(c) === version);
  const live = pool.filter((c) => c.status !== 'retired');
  if (live.length > 0) pool = live;
  const byVersion = pool.every((c) => {
    const v = versionOf(c);
    return v !== undefined && compareVersions(v, v) !== undefined;
  });
  let best: T | undefined;
  for (const c of pool) if (!best || recency(c, best, byVersion) > 0) best = c;
  return best;
}
