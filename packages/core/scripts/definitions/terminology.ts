import { byCodeUnit, type Json, unversioned } from './package-reader.js';

/**
 * A concept of a compiled CodeSystem: a leaf is its code; a concept with
 * children is `[code, ...children]` (the nesting of `CodeSystem.concept`).
 */
export type CompactConcept = string | [string, ...CompactConcept[]];

/** A compiled `ValueSet.compose.include` / `exclude` entry (codes without displays). */
export interface CompactInclude {
  system?: string;
  concept?: string[];
  filter?: Array<{ property: string; op: string; value: string }>;
  valueSet?: string[];
}

/** A compiled ValueSet: its compose, or (when it has none) its expansion as `[system, code]` pairs. */
export interface CompactValueSet {
  include?: CompactInclude[];
  exclude?: CompactInclude[];
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
  for (const vs of valueSets) {
    const url = vs.url ? String(vs.url) : undefined;
    if (!url || out.has(url)) continue;
    if (vs.compose) {
      const include = (vs.compose.include ?? []).map(compactInclude);
      const exclude = (vs.compose.exclude ?? []).map(compactInclude);
      out.set(url, { include, ...(exclude.length > 0 ? { exclude } : {}) });
    } else if (vs.expansion) {
      out.set(url, { expansion: flatContains(vs.expansion.contains ?? []) });
    }
  }
  return new Map([...out.entries()].sort((a, b) => byCodeUnit(a[0], b[0])));
}

function compactInclude(inc: Json): CompactInclude {
  return {
    ...(inc.system ? { system: String(inc.system) } : {}),
    ...(Array.isArray(inc.concept) ? { concept: inc.concept.map((c: Json) => String(c.code)) } : {}),
    ...(Array.isArray(inc.filter)
      ? {
          filter: inc.filter.map((f: Json) => ({
            property: String(f.property),
            op: String(f.op),
            value: String(f.value),
          })),
        }
      : {}),
    ...(Array.isArray(inc.valueSet) ? { valueSet: inc.valueSet.map((u: string) => unversioned(u)) } : {}),
  };
}

function flatContains(contains: Json[], out: Array<[string, string]> = []): Array<[string, string]> {
  for (const c of contains) {
    if (c.system && c.code && c.abstract !== true) out.push([String(c.system), String(c.code)]);
    if (Array.isArray(c.contains)) flatContains(c.contains, out);
  }
  return out;
}
