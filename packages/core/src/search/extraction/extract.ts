/**
 * Search value extraction: for each search parameter of a resource's type,
 * the normalized index values (see `../index-values.ts`). Simple expressions
 * run on the compiled fast path, the rest on the FHIRPath engine; both feed
 * the same normalization.
 */
import { allSearchParameters, type SearchParameterDefinition } from '../../definitions/index.js';
import type { CompositeValue, ExtractedParam, IndexValue, SearchParamType } from '../index-values.js';
import { type SearchParameterRegistry, splitUnion } from '../registry.js';
import { compileEngine } from './engine.js';
import { engineGuardKeys } from './engine-guard.js';
import { compileFastPath, type Evaluator, simplePathOf } from './fast-path.js';
import { normalizeInto } from './normalize.js';

// biome-ignore lint/suspicious/noExplicitAny: FHIR JSON is walked untyped on the hot path.
type Json = any;
type ComponentValue = Exclude<IndexValue, CompositeValue>;

/** One search parameter compiled for one resource type. */
export interface CompiledExtractor {
  readonly code: string;
  readonly type: SearchParamType;
  readonly url: string;
  /** The expression as compiled (the part of a multi-base expression for this type). */
  readonly expression: string;
  /** True when the expression (and every composite component) runs on the fast path. */
  readonly fastPath: boolean;
  /** Append the normalized values of this parameter for `resource` to `out`. */
  extract(resource: unknown, out: IndexValue[]): void;
}

/** Options of {@link compileExtractor}. */
export interface CompileOptions {
  /** Run every expression on the FHIRPath engine (no fast path): the reference the fast path is tested against. */
  engineOnly?: boolean;
}

/** Looks up component definitions of composites by URL. */
export type DefinitionLookup = (url: string) => SearchParameterDefinition | undefined;

let builtInByUrl: Map<string, SearchParameterDefinition> | undefined;
const builtInLookup: DefinitionLookup = (url) => {
  builtInByUrl ??= new Map(allSearchParameters().map((p) => [p.url, p]));
  return builtInByUrl.get(url);
};

// Scratch buffers for the non-reentrant simple case (composites allocate their own).
const scratchValues: unknown[] = [];
const scratchTypes: string[] = [];

function compileEvaluator(
  contextType: string,
  expression: string,
  prefix = '',
  relative = false,
  enginePath?: string,
  engineOnly = false,
): { evaluate: Evaluator; fast: boolean } {
  const fast = engineOnly ? undefined : compileFastPath(contextType, expression, prefix, relative);
  if (fast !== undefined) return { evaluate: fast, fast: true };
  const engine = compileEngine(expression, enginePath);
  const guard = relative ? undefined : engineGuardKeys(contextType, expression);
  if (guard === undefined) return { evaluate: engine, fast: false };
  const evaluate: Evaluator = (input, values, types) => {
    for (let i = 0; i < guard.length; i++) {
      if ((input as Json)[guard[i]!] !== undefined) {
        engine(input, values, types);
        return;
      }
    }
  };
  return { evaluate, fast: false };
}

const compiledCache = new Map<string, CompiledExtractor | null>();

/**
 * Compile one search parameter for one resource type, or `undefined` when it
 * has nothing to extract (`special` type, or no expression). Cached per
 * (type, URL, expression, composite component types).
 *
 * @example
 * ```ts
 * const birthdate = compileExtractor('Patient', getSearchParameter('Patient', 'birthdate')!)!;
 * const out: IndexValue[] = [];
 * birthdate.extract({ resourceType: 'Patient', birthDate: '1980' }, out);
 * // out: [{ kind: 'date', low: 315532800000, high: 347155199999 }]
 * ```
 */
export function compileExtractor(
  resourceType: string,
  definition: SearchParameterDefinition,
  lookup: DefinitionLookup = builtInLookup,
  options: CompileOptions = {},
): CompiledExtractor | undefined {
  const engineOnly = options.engineOnly === true;
  const expression = definition.baseExpression ?? definition.expression;
  if (definition.type === 'special' || expression === undefined) return undefined;
  const componentTypes =
    definition.type === 'composite'
      ? (definition.component ?? []).map((c) => lookup(c.definition)?.type ?? '?')
      : [];
  const key = `${resourceType}\n${definition.url}\n${definition.code}\n${expression}\n${componentTypes.join(',')}\n${engineOnly}`;
  const cached = compiledCache.get(key);
  if (cached !== undefined) return cached ?? undefined;
  const compiled =
    definition.type === 'composite'
      ? compileComposite(resourceType, definition, expression, componentTypes, engineOnly)
      : compileSimple(resourceType, definition, expression, engineOnly);
  compiledCache.set(key, compiled ?? null);
  return compiled;
}

function compileSimple(
  resourceType: string,
  definition: SearchParameterDefinition,
  expression: string,
  engineOnly: boolean,
): CompiledExtractor {
  const { evaluate, fast } = compileEvaluator(resourceType, expression, '', false, undefined, engineOnly);
  const type = definition.type;
  return {
    code: definition.code,
    type,
    url: definition.url,
    expression,
    fastPath: fast,
    extract(resource, out) {
      scratchValues.length = 0;
      scratchTypes.length = 0;
      evaluate(resource, scratchValues, scratchTypes);
      for (let i = 0; i < scratchValues.length; i++)
        normalizeInto(type, scratchTypes[i]!, scratchValues[i], out);
    },
  };
}

function compileComposite(
  resourceType: string,
  definition: SearchParameterDefinition,
  expression: string,
  componentTypes: string[],
  engineOnly: boolean,
): CompiledExtractor | undefined {
  const components = definition.component ?? [];
  if (
    components.length === 0 ||
    componentTypes.some((t) => t === '?' || t === 'composite' || t === 'special')
  ) {
    return undefined;
  }
  const bases = splitUnion(expression).map((part) => {
    const base = compileEvaluator(resourceType, part, '', false, undefined, engineOnly);
    const at = simplePathOf(part);
    const enginePath = at === undefined ? undefined : at.prefix === '' ? at.type : `${at.type}.${at.prefix}`;
    const parts = components.map((c) =>
      at === undefined
        ? { evaluate: compileEngine(c.expression), fast: false }
        : compileEvaluator(at.type, c.expression, at.prefix, true, enginePath, engineOnly),
    );
    return { base, parts };
  });
  const types = componentTypes as SearchParamType[];
  return {
    code: definition.code,
    type: 'composite',
    url: definition.url,
    expression,
    fastPath: bases.every(({ base, parts }) => base.fast && parts.every((p) => p.fast)),
    extract(resource, out) {
      for (const { base, parts } of bases) extractComposite(resource, base.evaluate, parts, types, out);
    },
  };
}

function extractComposite(
  resource: unknown,
  base: Evaluator,
  parts: Array<{ evaluate: Evaluator }>,
  types: SearchParamType[],
  out: IndexValue[],
): void {
  const items: unknown[] = [];
  base(resource, items, []);
  const values: unknown[] = [];
  const valueTypes: string[] = [];
  for (const item of items) {
    const perComponent: ComponentValue[][] = [];
    for (let c = 0; c < parts.length; c++) {
      values.length = 0;
      valueTypes.length = 0;
      parts[c]!.evaluate(item, values, valueTypes);
      const normalized: IndexValue[] = [];
      for (let i = 0; i < values.length; i++) normalizeInto(types[c]!, valueTypes[i]!, values[i], normalized);
      if (normalized.length === 0) break;
      perComponent.push(normalized as ComponentValue[]);
    }
    if (perComponent.length === parts.length) product(perComponent, 0, [], out);
  }
}

function product(
  lists: ComponentValue[][],
  index: number,
  prefix: ComponentValue[],
  out: IndexValue[],
): void {
  if (index === lists.length) {
    out.push({ kind: 'composite', components: prefix.slice() });
    return;
  }
  for (const value of lists[index]!) {
    prefix.push(value);
    product(lists, index + 1, prefix, out);
    prefix.pop();
  }
}

/** Compiled extractors of a type, for one registry version. */
interface TypePlan {
  version: number;
  extractors: CompiledExtractor[];
}
const plans = new WeakMap<SearchParameterRegistry, Map<string, TypePlan>>();

/**
 * The compiled extractors of every parameter of `resourceType` in `registry`
 * (those with an expression), cached until the registry's version changes.
 *
 * @example
 * ```ts
 * extractorsFor(registry, 'Patient').filter((e) => e.fastPath).length;
 * ```
 */
export function extractorsFor(
  registry: SearchParameterRegistry,
  resourceType: string,
): readonly CompiledExtractor[] {
  let byType = plans.get(registry);
  if (byType === undefined) {
    byType = new Map();
    plans.set(registry, byType);
  }
  let plan = byType.get(resourceType);
  if (plan === undefined || plan.version !== registry.version) {
    const lookup: DefinitionLookup = (url) => registry.byUrl(url);
    const extractors: CompiledExtractor[] = [];
    for (const definition of registry.forType(resourceType)) {
      const compiled = compileExtractor(resourceType, definition, lookup);
      if (compiled !== undefined) extractors.push(compiled);
    }
    plan = { version: registry.version, extractors };
    byType.set(resourceType, plan);
  }
  return plan.extractors;
}

/**
 * The normalized search values of `resource`: one entry per parameter of its
 * type that has an expression (`special` parameters are skipped), in
 * registry order; an entry with no values means the element is missing
 * (for `:missing`).
 *
 * @example
 * ```ts
 * const registry = new SearchParameterRegistry();
 * const params = extractSearchValues({ resourceType: 'Patient', id: 'p1', name: [{ family: 'Zoë' }] }, registry);
 * params.find((p) => p.code === 'family')?.values; // [{ kind: 'string', normalized: 'zoe', exact: 'Zoë' }]
 * ```
 */
export function extractSearchValues(resource: object, registry: SearchParameterRegistry): ExtractedParam[] {
  const resourceType = (resource as Json).resourceType;
  if (typeof resourceType !== 'string') return [];
  const extractors = extractorsFor(registry, resourceType);
  const result: ExtractedParam[] = new Array(extractors.length);
  for (let i = 0; i < extractors.length; i++) {
    const e = extractors[i]!;
    const values: IndexValue[] = [];
    e.extract(resource, values);
    result[i] = { code: e.code, type: e.type, values };
  }
  return result;
}
