import { type Json, unversioned } from './package-reader.js';

/** Result of expanding the required-binding ValueSets. */
export interface ExpandedValueSets {
  /** Canonical URL → codes (definition order, de-duplicated). */
  expanded: Map<string, string[]>;
  /** Canonical URL → why it could not be expanded from the package alone. */
  unexpandable: Map<string, string>;
}

class Unexpandable extends Error {}

/**
 * Expand ValueSets from the package's own CodeSystems:
 * - `include` with a `system` and nothing else: every code of that CodeSystem, nested concepts included;
 * - `include` with a `concept` list: those codes;
 * - `include` with `filter` `is-a` / `descendent-of` on `concept`: the subtree of the CodeSystem;
 * - `include` with `valueSet` only: the union of those ValueSets;
 * - `exclude` with a `concept` list: removes those codes.
 * Anything else (external or incomplete CodeSystems, other filters) makes the
 * ValueSet unexpandable; the validator then does not check codes against it.
 */
export function expandValueSets(
  urls: Iterable<string>,
  valueSets: Json[],
  codeSystems: Json[],
): ExpandedValueSets {
  const vsByUrl = new Map<string, Json>();
  for (const vs of valueSets) if (vs.url && !vsByUrl.has(vs.url)) vsByUrl.set(String(vs.url), vs);
  const csByUrl = new Map<string, Json>();
  for (const cs of codeSystems) if (cs.url && !csByUrl.has(cs.url)) csByUrl.set(String(cs.url), cs);

  const expanded = new Map<string, string[]>();
  const unexpandable = new Map<string, string>();
  const expandOne = (url: string, stack: string[]): string[] => {
    if (stack.includes(url)) throw new Unexpandable(`circular import of ${url}`);
    const vs = vsByUrl.get(url);
    if (!vs) throw new Unexpandable(`ValueSet ${url} is not in the package`);
    if (!vs.compose) throw new Unexpandable(`ValueSet ${url} has no compose`);
    const codes = new Set<string>();
    for (const inc of vs.compose.include ?? []) {
      for (const c of includeCodes(inc, csByUrl, (u) => expandOne(u, [...stack, url]))) codes.add(c);
    }
    for (const exc of vs.compose.exclude ?? []) {
      if (!Array.isArray(exc.concept) || exc.filter || exc.valueSet) {
        throw new Unexpandable(`ValueSet ${url} has an exclude without a concept list`);
      }
      for (const c of exc.concept) codes.delete(String(c.code));
    }
    return [...codes];
  };

  for (const url of urls) {
    try {
      expanded.set(url, expandOne(url, []));
    } catch (err) {
      if (!(err instanceof Unexpandable)) throw err;
      unexpandable.set(url, err.message);
    }
  }
  return { expanded, unexpandable };
}

function includeCodes(inc: Json, csByUrl: Map<string, Json>, expandVs: (url: string) => string[]): string[] {
  const imported: string[][] = (inc.valueSet ?? []).map((u: string) => expandVs(unversioned(u)));
  if (!inc.system) {
    if (imported.length === 0) throw new Unexpandable('include without system or valueSet');
    return imported.flat();
  }
  if (imported.length > 0) throw new Unexpandable('include with both system and valueSet');
  if (Array.isArray(inc.concept)) {
    if (inc.filter) throw new Unexpandable('include with both concept and filter');
    return inc.concept.map((c: Json) => String(c.code));
  }
  const cs = csByUrl.get(String(inc.system));
  if (!cs) throw new Unexpandable(`CodeSystem ${inc.system} is not in the package`);
  if (cs.content !== 'complete') throw new Unexpandable(`CodeSystem ${inc.system} content is ${cs.content}`);
  if (!inc.filter) return allCodes(cs.concept ?? []);
  let result: string[] | undefined;
  for (const filter of inc.filter as Json[]) {
    const codes = filterCodes(cs, filter);
    result = result ? result.filter((c) => codes.includes(c)) : codes;
  }
  return result ?? [];
}

function allCodes(concepts: Json[], out: string[] = []): string[] {
  for (const c of concepts) {
    out.push(String(c.code));
    if (Array.isArray(c.concept)) allCodes(c.concept, out);
  }
  return out;
}

function filterCodes(cs: Json, filter: Json): string[] {
  if (filter.property !== 'concept' || (filter.op !== 'is-a' && filter.op !== 'descendent-of')) {
    throw new Unexpandable(`unsupported filter ${filter.property} ${filter.op} on ${cs.url}`);
  }
  const root = findConcept(cs.concept ?? [], String(filter.value));
  if (!root) throw new Unexpandable(`filter value ${filter.value} not in ${cs.url}`);
  const below = allCodes(root.concept ?? []);
  return filter.op === 'is-a' ? [String(root.code), ...below] : below;
}

function findConcept(concepts: Json[], code: string): Json | undefined {
  for (const c of concepts) {
    if (c.code === code) return c;
    const found = Array.isArray(c.concept) ? findConcept(c.concept, code) : undefined;
    if (found) return found;
  }
  return undefined;
}
