/**
 * ValueSet expansion for `:in` / `:not-in`: `expansion.contains` when the
 * ValueSet has one, else its compose — enumerated concepts, whole known
 * CodeSystems, `is-a` / `descendent-of` filters on known hierarchies, imported
 * ValueSets (their union, intersected with a system part, as R4 defines),
 * and excludes of any of those.
 */
import { FhirError } from '../errors/fhir-error.js';
import { canonicalKey } from './canonical.js';
import type { ComposeInclude, SystemCode, TerminologyLookup, ValueSetSource } from './types.js';

/**
 * The largest expansion a search may use (codes). Each code becomes two
 * token values (`system|code` and `|code`), and PostgreSQL takes at most
 * 65,535 bind parameters per statement.
 */
export const MAX_EXPANSION = 5_000;

/** The identity of a code in an expansion: `system|code`. */
export const systemCodeKey = (c: SystemCode): string => `${c.system}|${c.code}`;
const officialCache = new Map<string, SystemCode[]>();

/**
 * The codes of a ValueSet, de-duplicated, in definition order. Throws a 400
 * {@link FhirError}: `invalid` for an unknown ValueSet or code, `not-supported`
 * for what cannot be expanded (an unknown CodeSystem, another filter),
 * `too-large` beyond `max` codes.
 *
 * @example
 * ```ts
 * expandValueSet(officialTerminology.valueSet('http://hl7.org/fhir/ValueSet/administrative-gender')!, officialTerminology);
 * // [{ system: 'http://hl7.org/fhir/administrative-gender', code: 'male' }, ...]
 * ```
 */
export function expandValueSet(
  vs: ValueSetSource,
  lookup: TerminologyLookup,
  max = MAX_EXPANSION,
): SystemCode[] {
  const cached = vs.official ? officialCache.get(vs.url) : undefined;
  const codes = cached ?? [...new Expander(lookup, vs.url, max).expand(vs, []).values()];
  if (vs.official && !cached) officialCache.set(vs.url, codes);
  if (codes.length > max) throw tooLarge(vs.url, max);
  return codes;
}

function tooLarge(url: string, max: number): FhirError {
  return new FhirError('too-large', `ValueSet ${url} has more than ${max} codes; too many to expand here`, {
    status: 400,
  });
}

class Expander {
  constructor(
    private readonly lookup: TerminologyLookup,
    private readonly top: string,
    private readonly max: number,
  ) {}

  cannot(reason: string): FhirError {
    return new FhirError('not-supported', `Cannot expand ValueSet ${this.top}: ${reason}`, { status: 400 });
  }

  expand(vs: ValueSetSource, stack: string[]): Map<string, SystemCode> {
    if (stack.includes(vs.url)) throw this.cannot(`circular import of ${vs.url}`);
    const out = new Map<string, SystemCode>();
    if (vs.expansion) {
      for (const c of vs.expansion) out.set(systemCodeKey(c), c);
    } else {
      if (!vs.include) throw this.cannot(`${vs.url} has neither an expansion nor a compose`);
      for (const inc of vs.include) {
        for (const [k, c] of this.include(inc, [...stack, vs.url])) out.set(k, c);
        if (out.size > this.max) throw tooLarge(this.top, this.max);
      }
      for (const exc of vs.exclude ?? [])
        for (const k of this.include(exc, [...stack, vs.url]).keys()) out.delete(k);
    }
    return out;
  }

  /**
   * One include (or exclude): the union of its imported ValueSets (R4's
   * `include.valueSet`), intersected with its system part when it has both.
   */
  include(inc: ComposeInclude, stack: string[]): Map<string, SystemCode> {
    let imported: Map<string, SystemCode> | undefined;
    for (const ref of inc.valueSet ?? []) {
      const vs = this.lookup.valueSet(ref);
      if (!vs)
        throw new FhirError('invalid', `ValueSet ${this.top} imports an unknown ValueSet ${ref}`, {
          status: 400,
        });
      imported ??= new Map();
      for (const [k, c] of this.expand(vs, stack)) imported.set(k, c);
    }
    if (inc.system === undefined) {
      if (!imported) throw this.cannot('an include has neither a system nor a valueSet');
      return imported;
    }
    const system = this.systemCodes(inc);
    return imported ? new Map([...system].filter(([k]) => imported.has(k))) : system;
  }

  systemCodes(inc: ComposeInclude): Map<string, SystemCode> {
    const system = inc.system!;
    const of = (codes: Iterable<string>) =>
      new Map([...codes].map((code) => [systemCodeKey({ system, code }), { system, code }]));
    if (inc.concept) {
      if (inc.filter?.length) throw this.cannot(`an include of ${system} has both concepts and filters`);
      return of(inc.concept);
    }
    const canonical = canonicalKey(system, inc.version);
    const tree = this.lookup.codeSystem(canonical);
    if (!tree)
      throw this.cannot(
        `code system ${canonical} is not known here (only official R4 code systems and complete CodeSystems stored on this server can be enumerated)`,
      );
    if (!inc.filter?.length) return of(tree.codes);
    let codes: string[] | undefined;
    for (const f of inc.filter) {
      if (f.property !== 'concept' || (f.op !== 'is-a' && f.op !== 'descendent-of'))
        throw this.cannot(`filter '${f.property} ${f.op} ${f.value}' on ${system} is not supported`);
      if (!tree.has(f.value))
        throw new FhirError('invalid', `ValueSet ${this.top}: ${f.value} is not a code of ${system}`, {
          status: 400,
        });
      const below = tree.descendants(f.value);
      const matched = f.op === 'is-a' ? [f.value, ...below] : below;
      codes = codes ? codes.filter((c) => matched.includes(c)) : matched;
    }
    return of(codes ?? []);
  }
}
