import type { CodeSystem } from 'fhir/r4';
import { FhirError } from '../../src/errors/fhir-error.js';
import { CodeSystemTree } from '../../src/terminology/code-system-tree.js';
import { expandValueSet } from '../../src/terminology/expand.js';
import type { TerminologyLookup } from '../../src/terminology/types.js';
import type { CompactValueSet } from './terminology.js';

/** Result of expanding the required-binding ValueSets. */
export interface ExpandedValueSets {
  /** Canonical URL → codes (definition order, de-duplicated). */
  expanded: Map<string, string[]>;
  /** Canonical URL → why it could not be expanded from the package alone. */
  unexpandable: Map<string, string>;
}

/**
 * Expand ValueSets from the package's own CodeSystems with the search's
 * expander (`src/terminology/expand.ts`), by their compose: enumerated
 * concepts, whole complete CodeSystems, `is-a` / `descendent-of` filters,
 * imported ValueSets, excludes. Anything else (external or incomplete
 * CodeSystems, other filters, a ValueSet without compose) makes the ValueSet
 * unexpandable; the validator then does not check codes against it.
 */
export function expandValueSets(
  urls: Iterable<string>,
  valueSets: Map<string, CompactValueSet>,
  codeSystems: Map<string, CodeSystem>,
): ExpandedValueSets {
  const trees = new Map<string, CodeSystemTree>();
  const lookup: TerminologyLookup = {
    valueSet(url) {
      const vs = valueSets.get(url);
      // By compose only: a package expansion is a snapshot, not the definition.
      if (!vs?.include) return vs ? { url } : undefined;
      return { url, include: vs.include, ...(vs.exclude ? { exclude: vs.exclude } : {}) };
    },
    codeSystem(url) {
      let tree = trees.get(url);
      const cs = codeSystems.get(url);
      if (!tree && cs) {
        tree = CodeSystemTree.fromConcepts(url, cs.concept ?? []);
        trees.set(url, tree);
      }
      return tree;
    },
  };
  const expanded = new Map<string, string[]>();
  const unexpandable = new Map<string, string>();
  for (const url of urls) {
    const vs = lookup.valueSet(url);
    if (!vs) {
      unexpandable.set(url, `ValueSet ${url} is not in the package`);
      continue;
    }
    try {
      const codes = expandValueSet(vs, lookup, Number.POSITIVE_INFINITY).map((c) => c.code);
      expanded.set(url, [...new Set(codes)]);
    } catch (error) {
      if (!(error instanceof FhirError)) throw error;
      unexpandable.set(url, error.message);
    }
  }
  return { expanded, unexpandable };
}
