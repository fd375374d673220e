/**
 * The search parameters a server knows: the official R4 definitions plus the
 * ones added at runtime from posted `SearchParameter` resources.
 */
import fhirpath from 'fhirpath';
import {
  allSearchParameters,
  getElementTable,
  isResourceType,
  type SearchParameterComponent,
  type SearchParameterDefinition,
  type SearchParameterType,
  searchParametersFor,
} from '../definitions/index.js';
import { FhirError } from '../errors/fhir-error.js';

const PARAM_TYPES: ReadonlySet<string> = new Set<SearchParameterType>([
  'number',
  'date',
  'string',
  'token',
  'reference',
  'composite',
  'quantity',
  'uri',
  'special',
]);
const CODE_PATTERN = /^[A-Za-z_$][A-Za-z0-9_\-.]*$/;

/**
 * Split an expression on top-level `|` (outside parentheses and string literals).
 *
 * @example
 * ```ts
 * splitUnion("Observation | Observation.component"); // ['Observation', 'Observation.component']
 * ```
 */
export function splitUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === "'") quote = false;
    } else if (c === "'") quote = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts;
}

/**
 * The part of a multi-base expression that applies to `resourceType`: the
 * `|`-separated parts rooted at that type or at `Resource` / `DomainResource`
 * (or not rooted at a type name). The whole expression when nothing is narrowed.
 *
 * @example
 * ```ts
 * narrowExpression('Patient.name | Practitioner.name', 'Patient'); // 'Patient.name'
 * ```
 */
export function narrowExpression(expression: string, resourceType: string): string {
  const parts = splitUnion(expression);
  if (parts.length === 1) return expression;
  const kept = parts.filter((part) => {
    const root = /^\(*\s*([A-Za-z]+)/.exec(part)?.[1];
    return (
      root === undefined ||
      root === resourceType ||
      root === 'Resource' ||
      root === 'DomainResource' ||
      !isResourceType(root)
    );
  });
  return kept.length === 0 || kept.length === parts.length ? expression : kept.join(' | ');
}

function appliesTo(definition: SearchParameterDefinition, resourceType: string): boolean {
  for (const base of definition.base) {
    if (base === resourceType || base === 'Resource') return true;
    if (base === 'DomainResource' && getElementTable(resourceType)?.base === 'DomainResource') return true;
  }
  return false;
}

/** Options of a {@link SearchParameterRegistry}. */
export interface SearchParameterRegistryOptions {
  /** Include the official R4 search parameters (default true). */
  builtIns?: boolean;
}

/**
 * The search parameters of a server: official R4 definitions and runtime
 * additions. `version` increases on every change, so that caches of compiled
 * extractors (and search indexes) know when to rebuild.
 *
 * @example
 * ```ts
 * const registry = new SearchParameterRegistry();
 * registry.get('Patient', 'birthdate')?.expression; // 'Patient.birthDate | Person.birthDate | RelatedPerson.birthDate'
 * registry.add(SearchParameterRegistry.fromSearchParameterResource(posted));
 * registry.forType('Patient').some((p) => p.code === posted.code); // true
 * ```
 */
export class SearchParameterRegistry {
  readonly #builtIns: boolean;
  readonly #custom = new Map<string, SearchParameterDefinition>();
  readonly #forType = new Map<string, readonly SearchParameterDefinition[]>();
  readonly #byCode = new Map<string, ReadonlyMap<string, SearchParameterDefinition>>();
  #builtInByUrl: Map<string, SearchParameterDefinition> | undefined;
  #version = 0;

  constructor(options: SearchParameterRegistryOptions = {}) {
    this.#builtIns = options.builtIns ?? true;
  }

  /**
   * Incremented on every {@link add} / {@link remove}.
   *
   * @example
   * ```ts
   * const before = registry.version;
   * registry.add(definition);
   * registry.version > before; // true
   * ```
   */
  get version(): number {
    return this.#version;
  }

  /** Whether the official R4 parameters are included. */
  get builtIns(): boolean {
    return this.#builtIns;
  }

  /**
   * The runtime parameters, as added (for copying the registry into a worker).
   *
   * @example
   * ```ts
   * const copy = new SearchParameterRegistry({ builtIns: registry.builtIns });
   * for (const d of registry.custom) copy.add(d);
   * ```
   */
  get custom(): readonly SearchParameterDefinition[] {
    return [...this.#custom.values()];
  }

  /**
   * The parameters that apply to a resource type (inherited `_id`,
   * `_lastUpdated`, ... included); a runtime parameter with the URL or the
   * code of an official one replaces it. Entries whose expression spans
   * several bases carry `baseExpression`, the part for this type.
   *
   * @example
   * ```ts
   * registry.forType('Observation').map((p) => p.code); // ['_id', '_lastUpdated', ..., 'code', ...]
   * ```
   */
  forType(resourceType: string): readonly SearchParameterDefinition[] {
    let list = this.#forType.get(resourceType);
    if (list !== undefined) return list;
    const custom: SearchParameterDefinition[] = [];
    for (const definition of this.#custom.values()) {
      if (!appliesTo(definition, resourceType)) continue;
      const narrowed = definition.expression && narrowExpression(definition.expression, resourceType);
      custom.push(
        narrowed && narrowed !== definition.expression
          ? { ...definition, baseExpression: narrowed }
          : definition,
      );
    }
    const customCodes = new Set(custom.map((p) => p.code));
    const builtIn = this.#builtIns
      ? searchParametersFor(resourceType).filter((p) => !this.#custom.has(p.url) && !customCodes.has(p.code))
      : [];
    list = Object.freeze([...builtIn, ...custom]);
    this.#forType.set(resourceType, list);
    return list;
  }

  /**
   * The parameter `code` of a resource type, or `undefined`.
   *
   * @example
   * ```ts
   * registry.get('Patient', 'name')?.type; // 'string'
   * ```
   */
  get(resourceType: string, code: string): SearchParameterDefinition | undefined {
    let byCode = this.#byCode.get(resourceType);
    if (byCode === undefined) {
      byCode = new Map(this.forType(resourceType).map((p) => [p.code, p]));
      this.#byCode.set(resourceType, byCode);
    }
    return byCode.get(code);
  }

  /**
   * A parameter by canonical URL (without `baseExpression`), runtime ones first.
   *
   * @example
   * ```ts
   * registry.byUrl('http://hl7.org/fhir/SearchParameter/clinical-code')?.code; // 'code'
   * ```
   */
  byUrl(url: string): SearchParameterDefinition | undefined {
    const custom = this.#custom.get(url);
    if (custom !== undefined || !this.#builtIns) return custom;
    this.#builtInByUrl ??= new Map(allSearchParameters().map((p) => [p.url, p]));
    return this.#builtInByUrl.get(url);
  }

  /**
   * Add (or replace, by URL) a runtime parameter.
   *
   * @example
   * ```ts
   * registry.add({ url: 'http://example.org/sp/nick', code: 'nick', base: ['Patient'], type: 'string',
   *   expression: "Patient.name.where(use='nickname').given" });
   * ```
   */
  add(definition: SearchParameterDefinition): void {
    this.#custom.set(definition.url, definition);
    this.#changed();
  }

  /**
   * Remove a runtime parameter by URL; returns whether one was removed.
   * Official parameters cannot be removed (replace them instead).
   *
   * @example
   * ```ts
   * registry.remove('http://example.org/sp/nick'); // true
   * ```
   */
  remove(url: string): boolean {
    const removed = this.#custom.delete(url);
    if (removed) this.#changed();
    return removed;
  }

  #changed(): void {
    this.#version++;
    this.#forType.clear();
    this.#byCode.clear();
  }

  /**
   * Convert and validate a FHIR `SearchParameter` resource into a compiled
   * definition. `url`, `code`, `base` and `type` are required, and
   * `expression` (a parsable FHIRPath expression) unless the type is
   * `special`; a composite needs its components.
   *
   * @throws FhirError `invalid` when the resource is not a usable SearchParameter.
   * @example
   * ```ts
   * const definition = SearchParameterRegistry.fromSearchParameterResource({
   *   resourceType: 'SearchParameter', url: 'http://example.org/sp/eye-color', name: 'eye-color',
   *   status: 'active', code: 'eye-color', base: ['Patient'], type: 'token',
   *   expression: "Patient.extension('http://example.org/eye-color').value",
   * });
   * ```
   */
  static fromSearchParameterResource(resource: unknown): SearchParameterDefinition {
    const fail = (message: string, path?: string): never => {
      throw new FhirError('invalid', message, path ? { expression: [`SearchParameter.${path}`] } : {});
    };
    if (resource === null || typeof resource !== 'object') fail('Not a SearchParameter resource');
    const r = resource as Record<string, unknown>;
    if (r.resourceType !== 'SearchParameter') fail('Not a SearchParameter resource');
    const url = r.url;
    if (typeof url !== 'string' || url.length === 0) fail('SearchParameter.url is required', 'url');
    const code = r.code;
    if (typeof code !== 'string' || !CODE_PATTERN.test(code))
      fail('SearchParameter.code is missing or invalid', 'code');
    const type = r.type;
    if (typeof type !== 'string' || !PARAM_TYPES.has(type))
      fail('SearchParameter.type is missing or invalid', 'type');
    const base = r.base;
    if (!Array.isArray(base) || base.length === 0) fail('SearchParameter.base is required', 'base');
    for (const b of base as unknown[]) {
      if (typeof b !== 'string' || (b !== 'Resource' && b !== 'DomainResource' && !isResourceType(b))) {
        fail(`SearchParameter.base: unknown resource type ${String(b)}`, 'base');
      }
    }
    const expression = r.expression;
    if (expression !== undefined && typeof expression !== 'string')
      fail('SearchParameter.expression must be a string', 'expression');
    if (type !== 'special') {
      if (typeof expression !== 'string' || expression.trim() === '') {
        fail('SearchParameter.expression is required', 'expression');
      }
    }
    if (typeof expression === 'string') {
      try {
        fhirpath.parse(expression);
      } catch (error) {
        fail(`SearchParameter.expression is not valid FHIRPath: ${String(error)}`, 'expression');
      }
    }
    const definition: SearchParameterDefinition = {
      url: url as string,
      code: code as string,
      base: (base as string[]).slice(),
      type: type as SearchParameterType,
    };
    if (typeof expression === 'string') definition.expression = expression;
    const strings = (key: string): string[] | undefined => {
      const v = r[key];
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
        fail(`SearchParameter.${key} must be codes`, key);
      return (v as string[]).slice();
    };
    const target = strings('target');
    if (target) definition.target = target;
    const modifier = strings('modifier');
    if (modifier) definition.modifier = modifier;
    const comparator = strings('comparator');
    if (comparator) definition.comparator = comparator;
    if (typeof r.multipleOr === 'boolean') definition.multipleOr = r.multipleOr;
    if (typeof r.multipleAnd === 'boolean') definition.multipleAnd = r.multipleAnd;
    if (type === 'composite') {
      const components = r.component;
      if (!Array.isArray(components) || components.length === 0)
        fail('A composite SearchParameter needs components', 'component');
      definition.component = (components as unknown[]).map((c, i): SearchParameterComponent => {
        const comp = (c ?? {}) as Record<string, unknown>;
        if (typeof comp.definition !== 'string' || typeof comp.expression !== 'string') {
          fail('SearchParameter.component needs definition and expression', `component[${i}]`);
        }
        return { definition: comp.definition as string, expression: comp.expression as string };
      });
    }
    return definition;
  }
}
