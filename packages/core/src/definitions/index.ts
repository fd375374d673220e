/**
 * Typed, lazily parsed access to the FHIR R4 definitions compiled from the
 * official `hl7.fhir.r4.examples` package by `scripts/compile-definitions.ts`.
 * Each table entry is parsed from JSON the first time it is asked for.
 */
import compartmentPatient from './generated/compartment-patient.js';
import primitiveTypes from './generated/primitive-types.js';
import searchParameterTable from './generated/search-parameters.js';
import typeDefinitionTable from './generated/type-definitions.js';
import valueSetTable from './generated/value-sets.js';
import type { PrimitiveTypeDefinition, SearchParameterDefinition, TypeDefinition } from './types.js';

export type {
  ElementInfo,
  MaxCardinality,
  PrimitiveTypeDefinition,
  SearchParameterComponent,
  SearchParameterDefinition,
  SearchParameterType,
  TypeDefinition,
  TypeKind,
} from './types.js';

const hasOwn = (table: object, key: string): boolean => Object.hasOwn(table, key);

const typeCache = new Map<string, TypeDefinition>();
let resourceTypeList: readonly string[] | undefined;
let resourceTypeSet: ReadonlySet<string> | undefined;

/**
 * The element table of a resource type or complex datatype (abstract ones
 * such as `Resource`, `DomainResource`, `Element` and `BackboneElement`
 * included), or `undefined` for an unknown name or a primitive type.
 *
 * @example
 * ```ts
 * const patient = getElementTable('Patient')!;
 * patient.elements.gender.binding; // 'http://hl7.org/fhir/ValueSet/administrative-gender'
 * getElementTable('Observation')!.elements['value[x]'].choices; // ['valueQuantity', ...]
 * ```
 */
export function getElementTable(type: string): TypeDefinition | undefined {
  let def = typeCache.get(type);
  if (def === undefined && hasOwn(typeDefinitionTable, type)) {
    def = JSON.parse(typeDefinitionTable[type]!) as TypeDefinition;
    typeCache.set(type, def);
  }
  return def;
}

/**
 * Names of every type with an element table (resources and complex datatypes, abstract ones included), sorted.
 *
 * @example
 * ```ts
 * complexTypeNames().includes('HumanName'); // true
 * ```
 */
export function complexTypeNames(): readonly string[] {
  return Object.keys(typeDefinitionTable);
}

/**
 * The definition of a primitive datatype (`string`, `date`, `positiveInt`, ...), including its official regex.
 *
 * @example
 * ```ts
 * getPrimitiveType('date')!.regex; // '([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])...'
 * getPrimitiveType('integer')!.json; // 'number'
 * ```
 */
export function getPrimitiveType(name: string): PrimitiveTypeDefinition | undefined {
  return hasOwn(primitiveTypes, name) ? primitiveTypes[name] : undefined;
}

/**
 * Names of the R4 primitive datatypes, sorted.
 *
 * @example
 * ```ts
 * primitiveTypeNames().includes('base64Binary'); // true
 * ```
 */
export function primitiveTypeNames(): readonly string[] {
  return Object.keys(primitiveTypes);
}

/**
 * Every concrete (non-abstract) resource type of R4, sorted (`Account` … `VisionPrescription`).
 *
 * @example
 * ```ts
 * resourceTypes().length; // 146
 * ```
 */
export function resourceTypes(): readonly string[] {
  if (resourceTypeList === undefined) {
    const names: string[] = [];
    for (const name of Object.keys(typeDefinitionTable)) {
      // Cheap pre-filter on the JSON text, then confirm on the parsed definition.
      if (!typeDefinitionTable[name]!.includes('"kind":"resource"')) continue;
      const def = getElementTable(name)!;
      if (def.kind === 'resource' && !def.abstract) names.push(name);
    }
    resourceTypeList = Object.freeze(names);
  }
  return resourceTypeList;
}

/**
 * Whether `name` is a concrete R4 resource type (case-sensitive).
 *
 * @example
 * ```ts
 * isResourceType('Patient'); // true
 * isResourceType('DomainResource'); // false (abstract)
 * isResourceType('patient'); // false
 * ```
 */
export function isResourceType(name: string): boolean {
  resourceTypeSet ??= new Set(resourceTypes());
  return resourceTypeSet.has(name);
}

const searchParamCache = new Map<string, readonly SearchParameterDefinition[]>();
const searchParamByCode = new Map<string, ReadonlyMap<string, SearchParameterDefinition>>();

function ownSearchParameters(base: string): readonly SearchParameterDefinition[] {
  let list = searchParamCache.get(base);
  if (list === undefined) {
    list = hasOwn(searchParameterTable, base)
      ? (JSON.parse(searchParameterTable[base]!) as SearchParameterDefinition[])
      : [];
    searchParamCache.set(base, list);
  }
  return list;
}

/**
 * The search parameters that apply to a resource type: its own plus those
 * defined on `Resource` and (for domain resources) `DomainResource`. Entries
 * of multi-base parameters carry `baseExpression`, the part of the
 * expression for this type.
 *
 * @example
 * ```ts
 * searchParametersFor('Patient').map((p) => p.code); // ['_content', '_id', ..., 'birthdate', ...]
 * ```
 */
export function searchParametersFor(resourceType: string): readonly SearchParameterDefinition[] {
  const def = getElementTable(resourceType);
  if (def === undefined || def.kind !== 'resource') return [];
  const own = ownSearchParameters(resourceType);
  if (resourceType === 'Resource') return own;
  const inherited = [...ownSearchParameters('Resource')];
  if (def.base === 'DomainResource' && resourceType !== 'DomainResource') {
    inherited.push(...ownSearchParameters('DomainResource'));
  }
  return [...inherited, ...own];
}

/**
 * The search parameter `code` of a resource type (inherited `_id`,
 * `_lastUpdated`, ... included), or `undefined`.
 *
 * @example
 * ```ts
 * getSearchParameter('Patient', 'birthdate')!.type; // 'date'
 * getSearchParameter('Observation', 'code')!.baseExpression; // 'Observation.code'
 * ```
 */
export function getSearchParameter(
  resourceType: string,
  code: string,
): SearchParameterDefinition | undefined {
  let byCode = searchParamByCode.get(resourceType);
  if (byCode === undefined) {
    byCode = new Map(searchParametersFor(resourceType).map((p) => [p.code, p]));
    searchParamByCode.set(resourceType, byCode);
  }
  return byCode.get(code);
}

/**
 * Every compiled SearchParameter once (by URL), without `baseExpression`, sorted by URL.
 *
 * @example
 * ```ts
 * allSearchParameters().length; // 1397
 * ```
 */
export function allSearchParameters(): readonly SearchParameterDefinition[] {
  const byUrl = new Map<string, SearchParameterDefinition>();
  for (const base of Object.keys(searchParameterTable)) {
    for (const p of ownSearchParameters(base)) {
      if (byUrl.has(p.url)) continue;
      const { baseExpression: _narrowed, ...rest } = p;
      byUrl.set(p.url, rest);
    }
  }
  return [...byUrl.values()].sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
}

/**
 * The search parameter codes that place a resource of this type in a
 * patient's compartment; empty when the type is not in the compartment.
 * (A Patient is also in its own compartment by id.)
 *
 * @example
 * ```ts
 * patientCompartmentParams('Observation'); // ['subject', 'performer']
 * patientCompartmentParams('Organization'); // []
 * ```
 */
export function patientCompartmentParams(resourceType: string): readonly string[] {
  return hasOwn(compartmentPatient, resourceType) ? compartmentPatient[resourceType]! : [];
}

/**
 * Resource types that can be in a patient's compartment, sorted.
 *
 * @example
 * ```ts
 * patientCompartmentTypes().includes('Encounter'); // true
 * ```
 */
export function patientCompartmentTypes(): readonly string[] {
  return Object.keys(compartmentPatient);
}

const valueSetCache = new Map<string, ReadonlySet<string>>();

/**
 * The codes of a ValueSet used by a required binding on a `code` element, or
 * `undefined` when it is not compiled or cannot be expanded from the package
 * (e.g. `mimetypes`): callers then must not check codes against it. A
 * `|version` suffix on the URL is ignored.
 *
 * @example
 * ```ts
 * valueSetCodes('http://hl7.org/fhir/ValueSet/administrative-gender'); // Set {'male','female','other','unknown'}
 * ```
 */
export function valueSetCodes(url: string): ReadonlySet<string> | undefined {
  const bar = url.indexOf('|');
  const key = bar < 0 ? url : url.slice(0, bar);
  let codes = valueSetCache.get(key);
  if (codes === undefined && hasOwn(valueSetTable, key)) {
    codes = new Set(JSON.parse(valueSetTable[key]!) as string[]);
    valueSetCache.set(key, codes);
  }
  return codes;
}
