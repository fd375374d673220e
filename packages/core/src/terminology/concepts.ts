/**
 * What the terminology operations (`$lookup`, `$expand`, `$validate-code`)
 * know of a code system's concepts besides its hierarchy: displays, inactive
 * codes, the code system's name and version. Official ones come from the
 * compiled table `generated/code-system-concepts.ts` (see `officialConcepts`),
 * stored ones from the CodeSystem resource (see `storedConcepts`).
 *
 * This file imports no generated table: the definitions compiler uses it.
 */
import type { CodeSystemTree } from './code-system-tree.js';

/** One concept of a code system. */
export interface ConceptDetails {
  code: string;
  display?: string;
  /** Inactive: `status` retired, or `inactive` true (R4 concept properties); deprecated ones stay active. */
  inactive?: boolean;
}

/** The concepts of one code system, official or stored. */
export interface CodeSystemConcepts {
  /** Canonical URL, without a version. */
  url: string;
  /** The business version, when known. */
  version?: string;
  /** A display name for the code system: its title, else its name. */
  name?: string;
  /** Every concept by code (definition order). */
  concepts: ReadonlyMap<string, ConceptDetails>;
  /** The is-a hierarchy, when the code system is complete and its nesting means is-a. */
  tree?: CodeSystemTree;
}

/**
 * How `generated/code-system-concepts.ts` stores one code system: `[code]`
 * (no display, or a display equal to the code) or `[code, display]`.
 */
export interface CompactCodeSystemConcepts {
  name?: string;
  concepts: Array<[string] | [string, string]>;
  /** Codes of inactive concepts. */
  inactive?: string[];
}

/** How `generated/value-set-headers.ts` stores what `$expand` shows of an official ValueSet (a title equal to the name is left out). */
export interface CompactValueSetHeader {
  name?: string;
  title?: string;
  status: 'draft' | 'active' | 'retired' | 'unknown';
}

/** A `CodeSystem.concept` entry, as far as activity goes. */
export interface ConceptProperties {
  property?: Array<{ code?: string; valueCode?: string; valueBoolean?: boolean }>;
}

/**
 * Whether a concept is inactive by its R4 properties: `status` = `retired`
 * (or `inactive`), or `inactive` = true. A `deprecated` concept is still active.
 *
 * @example
 * ```ts
 * isInactive({ property: [{ code: 'status', valueCode: 'retired' }] }); // true
 * isInactive({ property: [{ code: 'status', valueCode: 'deprecated' }] }); // false
 * ```
 */
export function isInactive(concept: ConceptProperties): boolean {
  return (concept.property ?? []).some(
    (p) =>
      (p.code === 'status' && (p.valueCode === 'retired' || p.valueCode === 'inactive')) ||
      (p.code === 'inactive' && p.valueBoolean === true),
  );
}
