/**
 * Stored (server-side) ValueSet and CodeSystem resources as terminology:
 * conversion to the expansion form, and a {@link TerminologyLookup} that
 * answers official definitions first and stored ones after.
 */
import type { CodeSystem, CodeSystemConcept, ValueSet, ValueSetComposeInclude } from 'fhir/r4';
import { canonicalKey, parseCanonical, unversioned, valueSetKey } from './canonical.js';
import { CodeSystemTree } from './code-system-tree.js';
import { composeInclude, flatContains } from './compose.js';
import { type CodeSystemConcepts, type ConceptDetails, isInactive } from './concepts.js';
import { officialCodeSystem, officialValueSet } from './official.js';
import type { TerminologyLookup, ValueSetSource } from './types.js';
import { versionOf } from './versions.js';

/**
 * A stored ValueSet in the form expansion uses, named `url|version` when it
 * has a version; its composes keep their versions.
 *
 * @example
 * ```ts
 * valueSetSource({ resourceType: 'ValueSet', status: 'active', url: 'http://x/vs', version: '2.0',
 *   compose: { include: [{ system: 'http://x/cs', concept: [{ code: 'a' }] }] } });
 * // { url: 'http://x/vs|2.0', include: [{ system: 'http://x/cs', concept: ['a'] }] }
 * ```
 */
export function valueSetSource(vs: ValueSet): ValueSetSource {
  const url = vs.url ? canonicalKey(unversioned(vs.url), versionOf(vs)) : `ValueSet/${vs.id}`;
  if (vs.expansion?.contains) return { url, expansion: flatContains(vs.expansion.contains) };
  if (!vs.compose) return { url };
  const of = (inc: ValueSetComposeInclude) => composeInclude(inc, { versions: true });
  const include = vs.compose.include.map(of);
  const exclude = (vs.compose.exclude ?? []).map(of);
  return { url, include, ...(exclude.length > 0 ? { exclude } : {}) };
}

/**
 * A stored CodeSystem as a hierarchy, when the server can rely on it: its
 * content is complete and its nesting means is-a (or has no stated meaning).
 *
 * @example
 * ```ts
 * codeSystemTree({ resourceType: 'CodeSystem', status: 'active', content: 'complete', url: 'http://x/cs',
 *   concept: [{ code: 'a', concept: [{ code: 'b' }] }] })?.descendants('a'); // ['b']
 * ```
 */
export function codeSystemTree(cs: CodeSystem): CodeSystemTree | undefined {
  if (!cs.url || cs.content !== 'complete') return undefined;
  if (cs.hierarchyMeaning !== undefined && cs.hierarchyMeaning !== 'is-a') return undefined;
  return CodeSystemTree.fromConcepts(unversioned(cs.url), cs.concept ?? []);
}

/**
 * The concepts of a stored CodeSystem (whatever its `content`: the codes it
 * lists are real), with its is-a hierarchy when {@link codeSystemTree} trusts it.
 *
 * @example
 * ```ts
 * storedConcepts({ resourceType: 'CodeSystem', status: 'active', content: 'complete', url: 'http://x/cs', version: '2',
 *   concept: [{ code: 'a', display: 'A' }] }).concepts.get('a'); // { code: 'a', display: 'A' }
 * ```
 */
export function storedConcepts(cs: CodeSystem): CodeSystemConcepts {
  const concepts = new Map<string, ConceptDetails>();
  const walk = (c: CodeSystemConcept): void => {
    if (c.code && !concepts.has(c.code))
      concepts.set(c.code, {
        code: c.code,
        ...(c.display ? { display: c.display } : {}),
        ...(isInactive(c) ? { inactive: true } : {}),
      });
    for (const child of c.concept ?? []) walk(child);
  };
  for (const c of cs.concept ?? []) walk(c);
  const version = versionOf(cs);
  const name = cs.title ?? cs.name;
  const tree = codeSystemTree(cs);
  return {
    url: unversioned(cs.url ?? `CodeSystem/${cs.id}`),
    ...(version ? { version } : {}),
    ...(name ? { name } : {}),
    concepts,
    ...(tree ? { tree } : {}),
  };
}

/**
 * The stored resources a search refers to, by the reference that named them
 * (the version already chosen: see `pickVersion`).
 */
export interface StoredTerminology {
  /** By `ValueSet/<id>`, by `url` (the most recent version) and by `url|version`. */
  valueSets: Map<string, ValueSet>;
  /** By `url` (the most recent version) and by `url|version`. */
  codeSystems: Map<string, CodeSystem>;
}

/**
 * A lookup over official definitions first (an official URL without a
 * version, or with the official one), then the given stored resources.
 *
 * @example
 * ```ts
 * const lookup = storedTerminologyLookup({ valueSets: new Map([['http://x/vs', vs]]), codeSystems: new Map() });
 * lookup.valueSet('http://x/vs'); // the stored one
 * ```
 */
export function storedTerminologyLookup(stored: StoredTerminology): TerminologyLookup {
  const sources = new Map<string, ValueSetSource>();
  const trees = new Map<string, CodeSystemTree | undefined>();
  return {
    valueSet(ref) {
      const key = valueSetKey(ref);
      const official = key.startsWith('ValueSet/') ? undefined : officialValueSet(key);
      if (official) return official;
      let source = sources.get(key);
      const vs = stored.valueSets.get(key);
      if (!source && vs) {
        source = valueSetSource(vs);
        sources.set(key, source);
      }
      return source;
    },
    codeSystem(canonical) {
      const official = officialCodeSystem(canonical);
      if (official) return official;
      const { url, version } = parseCanonical(canonical);
      const key = canonicalKey(url, version);
      if (!trees.has(key)) {
        const cs = stored.codeSystems.get(key);
        trees.set(key, cs ? codeSystemTree(cs) : undefined);
      }
      return trees.get(key);
    },
  };
}
