/**
 * An expansion (the codes {@link expandValueSet} gives) with what is known of
 * each code for `$expand` and `$validate-code`: the code system's version,
 * the display and whether the concept is inactive — taken from the ValueSet
 * itself first (a `compose` concept's display, an `expansion.contains`
 * entry), then from the code system (official or stored). Plus the text
 * filter of `$expand`.
 */
import type { ValueSet, ValueSetExpansionContains } from 'fhir/r4';
import type { CodeSystemConcepts } from './concepts.js';
import { systemCodeKey } from './expand.js';
import type { SystemCode } from './types.js';

/** One code of a described expansion. */
export interface ExpansionEntry {
  system: string;
  code: string;
  /** The code system's version, when known. */
  version?: string;
  /** The ValueSet's display for the code, else the code system's. */
  display?: string;
  /** The code system's display, when the ValueSet gives the code another one (both are valid). */
  codeSystemDisplay?: string;
  inactive?: boolean;
}

/** What a ValueSet says itself of its codes, by `system|code`. */
export type OwnDetails = ReadonlyMap<string, { display?: string; inactive?: boolean }>;

/**
 * The displays (and inactive flags) a ValueSet resource gives its codes: its
 * `compose.include` concepts and its `expansion.contains` (nested ones too).
 *
 * @example
 * ```ts
 * ownDetails({ resourceType: 'ValueSet', status: 'active',
 *   compose: { include: [{ system: 'http://x', concept: [{ code: 'a', display: 'Apple' }] }] } });
 * // Map { 'http://x|a' => { display: 'Apple' } }
 * ```
 */
export function ownDetails(vs: ValueSet | undefined): OwnDetails {
  const out = new Map<string, { display?: string; inactive?: boolean }>();
  for (const inc of vs?.compose?.include ?? [])
    for (const c of inc.concept ?? [])
      if (inc.system && c.display)
        out.set(systemCodeKey({ system: inc.system, code: c.code }), { display: c.display });
  const walk = (contains: ValueSetExpansionContains[]): void => {
    for (const c of contains) {
      if (c.system && c.code && (c.display || c.inactive))
        out.set(systemCodeKey({ system: c.system, code: c.code }), {
          ...(c.display ? { display: c.display } : {}),
          ...(c.inactive ? { inactive: true } : {}),
        });
      walk(c.contains ?? []);
    }
  };
  walk(vs?.expansion?.contains ?? []);
  return out;
}

/**
 * The codes of an expansion with their version, display and activity:
 * the ValueSet's own display first, else the code system's.
 *
 * @example
 * ```ts
 * describeExpansion([{ system: 'http://hl7.org/fhir/administrative-gender', code: 'male' }], new Map(), officialConcepts);
 * // [{ system: 'http://hl7.org/fhir/administrative-gender', code: 'male', version: '4.0.1', display: 'Male' }]
 * ```
 */
export function describeExpansion(
  codes: readonly SystemCode[],
  own: OwnDetails,
  conceptsOf: (system: string) => CodeSystemConcepts | undefined,
): ExpansionEntry[] {
  return codes.map(({ system, code }) => {
    const cs = conceptsOf(system);
    const concept = cs?.concepts.get(code);
    const mine = own.get(systemCodeKey({ system, code }));
    const display = mine?.display ?? concept?.display;
    return {
      system,
      code,
      ...(cs?.version ? { version: cs.version } : {}),
      ...(display ? { display } : {}),
      ...(concept?.display && concept.display !== display ? { codeSystemDisplay: concept.display } : {}),
      ...(mine?.inactive || concept?.inactive ? { inactive: true } : {}),
    };
  });
}

/** Lower-case words: runs of letters and digits. */
const words = (text: string): string[] =>
  text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);

/**
 * The `$expand` text filter: a code matches when every word of the filter
 * starts a word of its display or of its code, ignoring case (`"fem"` matches
 * `Female`, `"acut ast"` matches `Acute asthma`). A filter without words
 * matches everything.
 *
 * @example
 * ```ts
 * const match = expansionTextFilter('ma');
 * match({ system: 'http://x', code: 'male', display: 'Male' }); // true
 * match({ system: 'http://x', code: 'female', display: 'Female' }); // false
 * ```
 */
export function expansionTextFilter(filter: string): (entry: ExpansionEntry) => boolean {
  const wanted = words(filter);
  return (entry) => {
    const have = [...words(entry.display ?? ''), ...words(entry.code)];
    return wanted.every((w) => have.some((h) => h.startsWith(w)));
  };
}
