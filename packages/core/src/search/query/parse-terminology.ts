/**
 * Token modifiers answered from terminology, expanded at parse time into an
 * ordinary OR list of `system|code` token values, so that every engine runs
 * them as it runs `code=s|a,s|b`:
 * - `:in=<ValueSet>` → the codes of the ValueSet;
 * - `:not-in=<ValueSet>` → the same list under `:not`;
 * - `:below=system|code` → the code and every code it subsumes;
 * - `:above=system|code` → the code and every code that subsumes it.
 * Each code is searched as `system|code` and as `|code` (see {@link tokens}).
 */
import { FhirError } from '../../errors/fhir-error.js';
import { expandValueSet, MAX_EXPANSION, systemCodeKey } from '../../terminology/expand.js';
import { officialTerminology } from '../../terminology/official.js';
import type { SystemCode, TerminologyLookup } from '../../terminology/types.js';
import { splitEscaped, unescapeValue } from './parse-values.js';
import type { ParamClause, ParamRef, TokenQuery } from './types.js';

/** The token modifiers expanded from terminology. */
export const TERMINOLOGY_MODIFIERS: readonly string[] = ['in', 'not-in', 'below', 'above'];

/**
 * A token value no resource carries: it stands for an empty expansion, so that
 * `:in` of an empty ValueSet matches nothing and `:not-in` everything.
 */
export const NO_CODE: TokenQuery = { kind: 'token', system: 'urn:fhirstream:no-code', code: 'no-code' };

/**
 * The clause of `name=raw` with a terminology modifier: the expanded codes,
 * ORed; `:not-in` gives `modifier: 'not'` (the engines' `:not` semantics).
 *
 * @example
 * ```ts
 * parseTerminologyClause(param, 'in', 'http://hl7.org/fhir/ValueSet/administrative-gender', 'gender:in');
 * // { kind: 'param', param, values: [{ kind: 'token', system: 'http://hl7.org/fhir/administrative-gender', code: 'male' }, ...] }
 * ```
 */
export function parseTerminologyClause(
  param: ParamRef,
  modifier: string,
  raw: string,
  name: string,
  lookup: TerminologyLookup = officialTerminology,
): ParamClause {
  const parts = splitEscaped(raw, ',');
  if (parts.some((p) => p === ''))
    throw new FhirError('invalid', `Empty value in ${name}=${raw}`, { expression: [name] });
  const codes = new Map<string, SystemCode>();
  for (const part of parts) {
    const found =
      modifier === 'in' || modifier === 'not-in'
        ? valueSetCodes(unescapeValue(part), name, lookup)
        : hierarchyCodes(part, modifier === 'below', name, lookup);
    for (const c of found) codes.set(systemCodeKey(c), c);
    if (codes.size > MAX_EXPANSION)
      throw new FhirError('too-large', `${name} expands to more than ${MAX_EXPANSION} codes`, {
        status: 400,
        expression: [name],
      });
  }
  return {
    kind: 'param',
    param,
    ...(modifier === 'not-in' ? { modifier: 'not' } : {}),
    values: tokens(codes),
  };
}

/**
 * `system|code` for each code, and `|code` (no system) for each distinct code:
 * elements of FHIR type `code` (`status`, `gender`, ...) are indexed without a
 * system, theirs being implied by the element's binding.
 */
function tokens(codes: Map<string, SystemCode>): TokenQuery[] {
  if (codes.size === 0) return [NO_CODE];
  const out: TokenQuery[] = [...codes.values()].map((c) => ({
    kind: 'token',
    system: c.system,
    code: c.code,
  }));
  for (const code of new Set([...codes.values()].map((c) => c.code)))
    out.push({ kind: 'token', system: '', code });
  return out;
}

function withExpression(error: unknown, name: string): unknown {
  if (!(error instanceof FhirError)) return error;
  return new FhirError(error.code, `${name}: ${error.message}`, { status: error.status, expression: [name] });
}

function valueSetCodes(ref: string, name: string, lookup: TerminologyLookup): SystemCode[] {
  const vs = lookup.valueSet(ref);
  if (!vs) {
    const hint = lookup.unknownHint ? ` (${lookup.unknownHint})` : '';
    throw new FhirError(
      'invalid',
      `${name}: unknown ValueSet ${ref}: neither an official R4 ValueSet nor one stored on this server${hint}`,
      { expression: [name] },
    );
  }
  try {
    return expandValueSet(vs, lookup);
  } catch (error) {
    throw withExpression(error, name);
  }
}

/**
 * The `system|code` of a `:below` / `:above` value, or undefined when it is not one.
 *
 * @example
 * ```ts
 * hierarchyTarget('http://hl7.org/fhir/observation-status|amended'); // { system: 'http://hl7.org/fhir/observation-status', code: 'amended' }
 * ```
 */
export function hierarchyTarget(raw: string): SystemCode | undefined {
  const bar = splitEscaped(raw, '|').map(unescapeValue);
  return bar.length === 2 && bar[0] && bar[1] ? { system: bar[0], code: bar[1] } : undefined;
}

function hierarchyCodes(part: string, below: boolean, name: string, lookup: TerminologyLookup): SystemCode[] {
  const target = hierarchyTarget(part);
  if (!target)
    throw new FhirError('invalid', `${name} needs system|code, got ${part}`, { expression: [name] });
  const { system, code } = target;
  const tree = lookup.codeSystem(system);
  if (!tree)
    throw new FhirError(
      'not-supported',
      `${name}: the hierarchy of code system ${system} is not known here (only official R4 code systems and complete CodeSystems stored on this server)`,
      { expression: [name] },
    );
  if (!tree.has(code))
    throw new FhirError('invalid', `${name}: ${code} is not a code of ${system}`, { expression: [name] });
  const related = below ? tree.descendants(code) : tree.ancestors(code);
  return [code, ...related].map((c) => ({ system, code: c }));
}
