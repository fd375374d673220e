/**
 * Parsing of one filter parameter (`name[:modifier][.chain]=value[,value]`,
 * `_has:...`, `_list`) into a {@link SearchClause} of a given resource type.
 */
import {
  allSearchParameters,
  isResourceType,
  type SearchParameterDefinition,
} from '../../definitions/index.js';
import { FhirError } from '../../errors/fhir-error.js';
import type { TerminologyLookup } from '../../terminology/types.js';
import { parseTerminologyClause, TERMINOLOGY_MODIFIERS } from './parse-terminology.js';
import {
  normalizeSearchString,
  parseDateValue,
  parseNumberValue,
  parseQuantityValue,
  parseReferenceValue,
  parseStringValue,
  parseTokenValue,
  splitEscaped,
  unescapeValue,
} from './parse-values.js';
import type {
  CompositeComponentQuery,
  ParamRef,
  SearchClause,
  SearchParameterLookup,
  ValueQuery,
} from './types.js';

/** Thrown while parsing a parameter that strict handling rejects and lenient handling drops. */
export class SearchRejection extends Error {
  constructor(
    readonly code: 'unknown-parameter' | 'not-supported' | 'not-ready',
    message: string,
  ) {
    super(message);
  }
}

const OK_MODIFIERS: Record<string, readonly string[]> = {
  string: ['exact', 'contains', 'missing'],
  token: ['not', 'text', 'of-type', 'missing', ...TERMINOLOGY_MODIFIERS],
  reference: ['identifier', 'missing'],
  uri: ['below', 'above', 'missing'],
  date: ['missing'],
  number: ['missing'],
  quantity: ['missing'],
  composite: ['missing'],
};
const UNSUPPORTED_MODIFIERS: Record<string, readonly string[]> = {
  string: ['text'],
  reference: ['below', 'above', 'text'],
  uri: ['contains'],
};
/** Full-text parameters answered by a text index. */
export const FULL_TEXT_PARAMS = new Set(['_text', '_content']);
const NOT_SUPPORTED_PARAMS = new Set(['_query', '_filter', '_containedType']);

/** Parsing environment: the parameters, and whether a code is known but not queryable yet. */
export interface ClauseEnv {
  lookup: SearchParameterLookup;
  /** Returns a message when `code` of `resourceType` may not be used yet (e.g. being indexed). */
  notReady?: (resourceType: string, code: string) => string | undefined;
  /** ValueSets and CodeSystems for `:in` / `:not-in` / `:below` / `:above` (default: the official ones). */
  terminology?: TerminologyLookup;
}

const lookupType = (resourceType: string) => (resourceType === '*' ? 'Resource' : resourceType);

let officialByUrl: Map<string, SearchParameterDefinition> | undefined;

/**
 * An official R4 search parameter by canonical URL.
 *
 * @example
 * ```ts
 * officialParameterByUrl('http://hl7.org/fhir/SearchParameter/clinical-code')?.type; // 'token'
 * ```
 */
export function officialParameterByUrl(url: string): SearchParameterDefinition | undefined {
  officialByUrl ??= new Map(allSearchParameters().map((p) => [p.url, p]));
  return officialByUrl.get(url);
}

/** Component value types a composite can be made of. */
const COMPONENT_TYPES = new Set(['token', 'string', 'date', 'number', 'quantity', 'reference', 'uri']);

const toRef = (def: { code: string; type: ParamRef['type']; url: string; target?: string[] }): ParamRef => ({
  code: def.code,
  type: def.type,
  url: def.url,
  ...(def.target ? { target: def.target } : {}),
});

/**
 * Parse `name=raw` as a clause on `resourceType` (`'*'` for a system search).
 * Throws {@link SearchRejection} for unknown / unsupported parameters and
 * modifiers, and `FhirError('invalid')` for malformed values.
 *
 * @example
 * ```ts
 * parseClause('Observation', 'subject:Patient.name', 'peter', { lookup });
 * // { kind: 'chain', param: {code: 'subject', ...}, targets: [{ resourceType: 'Patient', inner: {...} }] }
 * ```
 */
export function parseClause(resourceType: string, name: string, raw: string, env: ClauseEnv): SearchClause {
  if (name.startsWith('_has:')) return parseHas(resourceType, name, raw, env);
  const dot = name.indexOf('.');
  const head = dot < 0 ? name : name.slice(0, dot);
  const rest = dot < 0 ? undefined : name.slice(dot + 1);
  const colon = head.indexOf(':');
  const code = colon < 0 ? head : head.slice(0, colon);
  const modifier = colon < 0 ? undefined : head.slice(colon + 1);

  if (NOT_SUPPORTED_PARAMS.has(code)) throw new SearchRejection('not-supported', `${code} is not supported`);
  if (code === '_list') {
    if (modifier !== undefined || rest !== undefined) throw unknownModifier(name);
    return { kind: 'list', lists: splitEscaped(raw, ',').map(unescapeValue).filter(Boolean) };
  }
  const def = env.lookup.get(lookupType(resourceType), code);
  if (!def)
    throw new SearchRejection('unknown-parameter', `Unknown search parameter ${code} for ${resourceType}`);
  const pending = env.notReady?.(resourceType, code);
  if (pending) throw new SearchRejection('not-ready', pending);
  const param = toRef(def);

  if (rest !== undefined) return parseChain(param, modifier, rest, raw, env, name);
  if (FULL_TEXT_PARAMS.has(code)) {
    if (modifier !== undefined) throw unknownModifier(name);
    const values = splitEscaped(raw, ',').map((v) => ({ kind: 'text' as const, text: unescapeValue(v) }));
    if (values.some((v) => !v.text.trim())) throw new FhirError('invalid', `Empty value for ${name}`);
    return { kind: 'param', param, values };
  }
  if (def.type === 'special') {
    throw new SearchRejection('not-supported', `Search parameter ${code} (${def.type}) is not supported`);
  }
  if (modifier !== undefined) checkModifier(def.type, modifier, name, def.target);
  if (def.type === 'token' && modifier !== undefined && TERMINOLOGY_MODIFIERS.includes(modifier))
    return parseTerminologyClause(param, modifier, raw, name, env.terminology);
  const components = def.type === 'composite' ? compositeComponents(def, env) : [];
  const values = parseValues(param, modifier, raw, name, components);
  return { kind: 'param', param, ...(modifier !== undefined ? { modifier } : {}), values };
}

function unknownModifier(name: string): SearchRejection {
  return new SearchRejection('unknown-parameter', `Unknown modifier in ${name}`);
}

function checkModifier(type: string, modifier: string, name: string, targets?: string[]): void {
  if (OK_MODIFIERS[type]?.includes(modifier)) return;
  if (type === 'reference' && isResourceType(modifier)) {
    if (targets && !targets.includes(modifier))
      throw new SearchRejection('unknown-parameter', `${modifier} is not a target type of ${name}`);
    return;
  }
  if (UNSUPPORTED_MODIFIERS[type]?.includes(modifier))
    throw new SearchRejection('not-supported', `Modifier :${modifier} is not supported (${name})`);
  throw unknownModifier(name);
}

/** The component parameters of a composite, from its definition (`component[].definition`). */
function compositeComponents(def: SearchParameterDefinition, env: ClauseEnv): ParamRef[] {
  const components = (def.component ?? []).map(
    (c) => env.lookup.byUrl?.(c.definition) ?? officialParameterByUrl(c.definition),
  );
  if (components.length === 0 || components.some((c) => !c || !COMPONENT_TYPES.has(c.type)))
    throw new SearchRejection('not-supported', `Composite search parameter ${def.code} is not supported`);
  return components.map((c) => toRef(c!));
}

function parseValues(
  param: ParamRef,
  modifier: string | undefined,
  raw: string,
  name: string,
  components: ParamRef[],
): ValueQuery[] {
  if (modifier === 'missing') {
    if (raw !== 'true' && raw !== 'false') throw new FhirError('invalid', `${name} must be true or false`);
    return [{ kind: 'missing', missing: raw === 'true' }];
  }
  const parts = splitEscaped(raw, ',');
  if (parts.length === 0 || parts.some((p) => p === ''))
    throw new FhirError('invalid', `Empty value in ${name}=${raw}`, { expression: [name] });
  if (param.type === 'composite') return parts.map((part) => parseComposite(components, part, name));
  return parts.map((part) => parseOne(param, modifier, part, name));
}

/** `comp1$comp2[$…]`: each part parsed by its component's type (prefixes allowed where that type takes them). */
function parseComposite(components: ParamRef[], part: string, name: string): ValueQuery {
  const parts = splitEscaped(part, '$');
  if (parts.length !== components.length || parts.some((p) => p === ''))
    throw new FhirError(
      'invalid',
      `Invalid value for search parameter ${name}: '${part}' needs ${components.length} components separated by '$'`,
      { expression: [name] },
    );
  return {
    kind: 'composite',
    components: parts.map((p, i) => parseOne(components[i]!, undefined, p, name) as CompositeComponentQuery),
  };
}

function parseOne(param: ParamRef, modifier: string | undefined, part: string, name: string): ValueQuery {
  switch (param.type) {
    case 'token':
      if (modifier === 'text')
        return { kind: 'token-text', text: normalizeSearchString(unescapeValue(part)) };
      if (modifier === 'of-type') {
        const p = splitEscaped(part, '|').map(unescapeValue);
        if (p.length !== 3 || p.some((x) => !x))
          throw new FhirError('invalid', `${name} needs system|code|value, got ${part}`, {
            expression: [name],
          });
        return { kind: 'token-of-type', typeSystem: p[0]!, typeCode: p[1]!, value: p[2]! };
      }
      return parseTokenValue(part, name);
    case 'string':
      return parseStringValue(part, name);
    case 'date':
      return parseDateValue(part, name);
    case 'number':
      return parseNumberValue(part, name);
    case 'quantity':
      return parseQuantityValue(part, name);
    case 'uri':
      return { kind: 'uri', value: unescapeValue(part) };
    case 'reference': {
      if (modifier === 'identifier') {
        const t = parseTokenValue(part, name);
        return {
          kind: 'reference-identifier',
          ...(t.system !== undefined ? { system: t.system } : {}),
          ...(t.code !== undefined ? { value: t.code } : {}),
        };
      }
      const targets = modifier ? [modifier] : (param.target ?? []);
      const q = parseReferenceValue(part, name, targets, isResourceType);
      if (modifier && q.types.length === 1 && q.types[0] !== modifier && q.id !== undefined && !q.url)
        throw new FhirError('invalid', `${name}=${part}: type does not match the modifier`);
      if (param.target && q.types.length === 1 && !param.target.includes(q.types[0]!))
        throw new FhirError('invalid', `${name}=${part}: ${q.types[0]} is not a target of ${param.code}`);
      return q;
    }
    default:
      throw new SearchRejection('not-supported', `Search parameter ${param.code} is not supported`);
  }
}

function parseChain(
  param: ParamRef,
  modifier: string | undefined,
  rest: string,
  raw: string,
  env: ClauseEnv,
  name: string,
): SearchClause {
  if (param.type !== 'reference')
    throw new SearchRejection('unknown-parameter', `${param.code} is not a reference; cannot chain ${name}`);
  if (modifier !== undefined && !isResourceType(modifier)) throw unknownModifier(name);
  if (modifier !== undefined && param.target && !param.target.includes(modifier))
    throw new SearchRejection('unknown-parameter', `${modifier} is not a target type of ${param.code}`);
  const candidates = modifier ? [modifier] : (param.target ?? []);
  const targets: Array<{ resourceType: string; inner: SearchClause }> = [];
  let firstRejection: SearchRejection | undefined;
  for (const resourceType of candidates) {
    try {
      targets.push({ resourceType, inner: parseClause(resourceType, rest, raw, env) });
    } catch (error) {
      if (!(error instanceof SearchRejection)) throw error;
      firstRejection ??= error;
    }
  }
  if (targets.length === 0)
    throw firstRejection ?? new SearchRejection('unknown-parameter', `Cannot resolve chain ${name}`);
  return { kind: 'chain', param, targets };
}

function parseHas(resourceType: string, name: string, raw: string, env: ClauseEnv): SearchClause {
  const parts = name.split(':');
  if (parts.length < 4) throw new FhirError('invalid', `${name}: expected _has:Type:reference:parameter`);
  const sourceType = parts[1]!;
  const refCode = parts[2]!;
  const innerName = parts.slice(3).join(':');
  if (!isResourceType(sourceType))
    throw new SearchRejection('unknown-parameter', `${name}: unknown resource type ${sourceType}`);
  const def = env.lookup.get(sourceType, refCode);
  if (def?.type !== 'reference')
    throw new SearchRejection(
      'unknown-parameter',
      `${name}: ${refCode} is not a reference parameter of ${sourceType}`,
    );
  if (resourceType !== '*' && def.target && !def.target.includes(resourceType))
    throw new SearchRejection(
      'unknown-parameter',
      `${name}: ${sourceType}.${refCode} cannot refer to ${resourceType}`,
    );
  return { kind: 'has', sourceType, param: toRef(def), inner: parseClause(sourceType, innerName, raw, env) };
}
