/**
 * Canonical URLs of terminology resources.
 */

/**
 * A canonical URL without its `|version` suffix.
 *
 * @example
 * ```ts
 * unversioned('http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1'); // 'http://hl7.org/fhir/ValueSet/administrative-gender'
 * ```
 */
export function unversioned(canonical: string): string {
  const bar = canonical.indexOf('|');
  return bar < 0 ? canonical : canonical.slice(0, bar);
}

/**
 * The key a ValueSet reference is known by: `ValueSet/<id>` as it is, a
 * canonical URL without its version.
 *
 * @example
 * ```ts
 * valueSetKey('http://x/vs|2'); // 'http://x/vs'
 * valueSetKey('ValueSet/vs1'); // 'ValueSet/vs1'
 * ```
 */
export function valueSetKey(ref: string): string {
  return ref.startsWith('ValueSet/') ? ref : unversioned(ref);
}
