import type { CodeSystem, ValueSet } from 'fhir/r4';
import type { CompactConcept } from '../../src/terminology/code-system-tree.js';
import { composeInclude, flatContains } from '../../src/terminology/compose.js';
import {
  type CompactCodeSystemConcepts,
  type CompactValueSetHeader,
  isInactive,
} from '../../src/terminology/concepts.js';
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
 * hierarchy (`hierarchyMeaning` is-a or absent), by URL, sorted. Fragments,
 * examples, supplements and `not-present` ones are left out (the server
 * cannot enumerate them).
 */
function hierarchies(codeSystems: Json[]): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const cs of codeSystems) {
    const url = cs.url ? String(cs.url) : undefined;
    if (!url || out.has(url) || cs.content !== 'complete') continue;
    if (cs.hierarchyMeaning !== undefined && cs.hierarchyMeaning !== 'is-a') continue;
    out.set(url, cs);
  }
  return new Map([...out.entries()].sort((a, b) => byCodeUnit(a[0], b[0])));
}

/** The CodeSystems of {@link hierarchies}: URL → nested concepts. */
export function compactCodeSystems(codeSystems: Json[]): Map<string, CompactConcept[]> {
  return new Map(
    [...hierarchies(codeSystems)].map(([url, cs]) => [url, (cs.concept ?? []).map(compactConcept)]),
  );
}

/**
 * The CodeSystems of {@link hierarchies} for `$lookup` and expansion displays:
 * URL → name (title, else name), every concept as `[code]` or `[code, display]`
 * in definition order (a display equal to the code is left out: the reader
 * restores it), and the inactive codes (`status` retired, or `inactive` true).
 */
export function codeSystemConcepts(codeSystems: Json[]): Map<string, CompactCodeSystemConcepts> {
  const out = new Map<string, CompactCodeSystemConcepts>();
  for (const [url, cs] of hierarchies(codeSystems)) {
    const concepts: CompactCodeSystemConcepts['concepts'] = [];
    const inactive: string[] = [];
    const walk = (c: Json): void => {
      const code = String(c.code);
      concepts.push(c.display && c.display !== code ? [code, String(c.display)] : [code]);
      if (isInactive(c)) inactive.push(code);
      for (const child of Array.isArray(c.concept) ? c.concept : []) walk(child);
    };
    for (const c of cs.concept ?? []) walk(c);
    const name = cs.title ?? cs.name;
    out.set(url, {
      ...(name ? { name: String(name) } : {}),
      concepts,
      ...(inactive.length ? { inactive } : {}),
    });
  }
  return out;
}

function compactConcept(c: Json): CompactConcept {
  const children: Json[] = Array.isArray(c.concept) ? c.concept : [];
  return children.length === 0 ? String(c.code) : [String(c.code), ...children.map(compactConcept)];
}

/** What `$expand` shows of an official ValueSet besides its expansion: URL → name, title (when not the name), status. */
export function valueSetHeaders(valueSets: Json[]): Map<string, CompactValueSetHeader> {
  const out = new Map<string, CompactValueSetHeader>();
  for (const vs of valueSets as ValueSet[]) {
    if (!vs.url || out.has(vs.url)) continue;
    const title = vs.title && vs.title !== vs.name ? { title: vs.title } : {};
    out.set(vs.url, { ...(vs.name ? { name: vs.name } : {}), ...title, status: vs.status });
  }
  return new Map([...out.entries()].sort((a, b) => byCodeUnit(a[0], b[0])));
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
