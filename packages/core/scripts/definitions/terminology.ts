import type { CodeSystem, ValueSet } from 'fhir/r4';
import type { CompactConcept } from '../../src/terminology/code-system-tree.js';
import { composeInclude, flatContains } from '../../src/terminology/compose.js';
import type { ComposeInclude } from '../../src/terminology/types.js';
import { byCodeUnit, type Json } from './package-reader.js';

/** A compiled ValueSet: its compose, or (when it has none) its expansion as `[system, code]` pairs. */
export interface CompactValueSet {
  include?: ComposeInclude[];
  exclude?: ComposeInclude[];
  expansion?: Array<[string, string]>;
}

/**
 * The complete CodeSystems of the package whose nesting is a subsumption
 * hierarchy (`hierarchyMeaning` is-a or absent): URL → nested concepts.
 * Fragments, examples, supplements and `not-present` ones are left out (the
 * server cannot enumerate them).
 */
export function compactCodeSystems(codeSystems: Json[]): Map<string, CompactConcept[]> {
  const out = new Map<string, CompactConcept[]>();
  for (const cs of codeSystems) {
    const url = cs.url ? String(cs.url) : undefined;
    if (!url || out.has(url) || cs.content !== 'complete') continue;
    if (cs.hierarchyMeaning !== undefined && cs.hierarchyMeaning !== 'is-a') continue;
    out.set(url, (cs.concept ?? []).map(compactConcept));
  }
  return new Map([...out.entries()].sort((a, b) => byCodeUnit(a[0], b[0])));
}

function compactConcept(c: Json): CompactConcept {
  const children: Json[] = Array.isArray(c.concept) ? c.concept : [];
  return children.length === 0 ? String(c.code) : [String(c.code), ...children.map(compactConcept)];
}

/** Every ValueSet of the package, reduced to what expansion needs: URL → compose (or expansion). */
export function compactValueSets(valueSets: Json[]): Map<string, CompactValueSet> {
  const out = new Map<string, CompactValueSet>();
  for (const vs of valueSets as ValueSet[]) {
    if (!vs.url || out.has(vs.url)) continue;
    if (vs.compose) {
      const include = vs.compose.include.map(composeInclude);
      const exclude = (vs.compose.exclude ?? []).map(composeInclude);
      out.set(vs.url, { include, ...(exclude.length > 0 ? { exclude } : {}) });
    } else if (vs.expansion) {
      const codes = flatContains(vs.expansion.contains ?? []);
      out.set(vs.url, { expansion: codes.map((c): [string, string] => [c.system, c.code]) });
    }
  }
  return new Map([...out.entries()].sort((a, b) => byCodeUnit(a[0], b[0])));
}

/** The complete CodeSystems of the package, whatever their hierarchy means (to enumerate their codes). */
export function completeCodeSystems(codeSystems: Json[]): Map<string, CodeSystem> {
  const out = new Map<string, CodeSystem>();
  for (const cs of codeSystems as CodeSystem[])
    if (cs.url && !out.has(cs.url) && cs.content === 'complete') out.set(cs.url, cs);
  return out;
}
