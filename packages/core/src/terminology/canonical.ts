/**
 * Canonical URLs of terminology resources: `url` or `url|version`
 * (FHIR R4 references.html#canonical).
 */

/** A canonical reference split at its `|`. */
export interface Canonical {
  /** The URL, without the version. */
  url: string;
  /** The version after `|`, when there is a non-empty one. */
  version?: string;
}

/**
 * A canonical reference split into its URL and version (an empty version, `url|`, is none).
 *
 * @example
 * ```ts
 * parseCanonical('http://x/vs|2.0'); // { url: 'http://x/vs', version: '2.0' }
 * parseCanonical('http://x/vs'); // { url: 'http://x/vs' }
 * ```
 */
export function parseCanonical(canonical: string): Canonical {
  const bar = canonical.indexOf('|');
  if (bar < 0) return { url: canonical };
  const version = canonical.slice(bar + 1);
  return { url: canonical.slice(0, bar), ...(version ? { version } : {}) };
}

/**
 * The canonical reference of a URL and an optional version.
 *
 * @example
 * ```ts
 * canonicalKey('http://x/vs', '2.0'); // 'http://x/vs|2.0'
 * canonicalKey('http://x/vs'); // 'http://x/vs'
 * ```
 */
export function canonicalKey(url: string, version?: string): string {
  return version ? `${url}|${version}` : url;
}

/**
 * A canonical URL without its `|version` suffix.
 *
 * @example
 * ```ts
 * unversioned('http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1'); // 'http://hl7.org/fhir/ValueSet/administrative-gender'
 * ```
 */
export function unversioned(canonical: string): string {
  return parseCanonical(canonical).url;
}

/**
 * The key a ValueSet reference is known by: `ValueSet/<id>` as it is, a
 * canonical as `url` or `url|version` (an empty version dropped). Different
 * versions of one URL are different keys.
 *
 * @example
 * ```ts
 * valueSetKey('http://x/vs|2'); // 'http://x/vs|2'
 * valueSetKey('http://x/vs|'); // 'http://x/vs'
 * valueSetKey('ValueSet/vs1'); // 'ValueSet/vs1'
 * ```
 */
export function valueSetKey(ref: string): string {
  if (ref.startsWith('ValueSet/')) return ref;
  const { url, version } = parseCanonical(ref);
  return canonicalKey(url, version);
}
