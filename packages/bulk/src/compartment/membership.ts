/**
 * What the compartment index records about one resource version: the patients
 * whose compartment it is in (from the CompartmentDefinition's search
 * parameters, extracted with core's compiled extractors), its care date and
 * its literal references.
 */
import {
  type CompiledExtractor,
  compileExtractor,
  type IndexValue,
  patientCompartmentParams,
  SearchParameterRegistry,
} from '@fhirstream/core';
import type { CareDate } from './types.js';

/** What one version contributes to the index. */
export interface MembershipFacts {
  /** Patient ids whose compartment holds the resource, sorted, no duplicates. */
  patients: string[];
  careDate?: CareDate;
  references: string[];
}

/** Options of {@link membershipExtractor}. */
export interface MembershipOptions {
  /** Search parameters (default: the official R4 ones). */
  registry?: SearchParameterRegistry;
  /**
   * The date search parameters that give a type's care date for `$everything`'s
   * `start`/`end`, tried in order (the first one the type has is used).
   * Default: {@link DEFAULT_CARE_DATE_PARAMS}, with per-type overrides here.
   */
  careDateParams?: Record<string, readonly string[]>;
  /**
   * Absolute base URLs of this server: `http://host/fhir/Patient/1` then counts
   * as `Patient/1`. Other absolute references never place a resource in a compartment.
   */
  localBaseUrls?: readonly string[];
}

/** Date parameters tried in order to find a resource's care date. */
export const DEFAULT_CARE_DATE_PARAMS: readonly string[] = [
  'date',
  'authoredon',
  'onset-date',
  'created',
  'effective-time',
  'started',
  'occurrence',
  'recorded',
  'issued',
  'period',
];

/** Per-type overrides of {@link DEFAULT_CARE_DATE_PARAMS} (where `date` is a record date, not a care date). */
export const CARE_DATE_OVERRIDES: Readonly<Record<string, readonly string[]>> = {
  DocumentReference: ['period', 'date'],
  Patient: [],
};

const RELATIVE_REF = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

interface TypePlan {
  compartment: CompiledExtractor[];
  /** Date extractors in order of preference: the first with a value gives the care date. */
  careDates: CompiledExtractor[];
}

/**
 * Build the function that computes {@link MembershipFacts} of a resource.
 *
 * @example
 * ```ts
 * const facts = membershipExtractor();
 * facts({ resourceType: 'Observation', id: 'o1', subject: { reference: 'Patient/p1' },
 *   effectiveDateTime: '2020-01-01', performer: [{ reference: 'Practitioner/d1' }] });
 * // { patients: ['p1'], careDate: [1577836800000, 1577923199999], references: ['Practitioner/d1'] }
 * ```
 */
export function membershipExtractor(options: MembershipOptions = {}): (resource: object) => MembershipFacts {
  const registry = options.registry ?? new SearchParameterRegistry();
  const bases = (options.localBaseUrls ?? []).map((b) => b.replace(/\/+$/, ''));
  const plans = new Map<string, TypePlan>();
  let planVersion = registry.version;
  const planFor = (type: string): TypePlan => {
    if (registry.version !== planVersion) {
      plans.clear();
      planVersion = registry.version;
    }
    let plan = plans.get(type);
    if (plan) return plan;
    const compile = (code: string) => {
      const def = registry.get(type, code);
      return def ? compileExtractor(type, def, (url) => registry.byUrl(url)) : undefined;
    };
    const compartment = patientCompartmentParams(type)
      .map(compile)
      .filter((e): e is CompiledExtractor => e !== undefined && e.type === 'reference');
    const dateCodes = options.careDateParams?.[type] ?? CARE_DATE_OVERRIDES[type] ?? DEFAULT_CARE_DATE_PARAMS;
    const careDates = dateCodes
      .map(compile)
      .filter((e): e is CompiledExtractor => e !== undefined && e.type === 'date');
    plan = { compartment, careDates };
    plans.set(type, plan);
    return plan;
  };

  const patientOf = (v: IndexValue): string | undefined => {
    if (v.kind !== 'reference' || v.type !== 'Patient' || v.id === undefined) return undefined;
    if (v.url === undefined) return v.id;
    return bases.some((b) => v.url === `${b}/Patient/${v.id}` || v.url!.startsWith(`${b}/Patient/${v.id}/`))
      ? v.id
      : undefined;
  };

  return (resource) => {
    const r = resource as { resourceType: string; id?: string };
    const plan = planFor(r.resourceType);
    const patients = new Set<string>();
    if (r.resourceType === 'Patient' && r.id) patients.add(r.id);
    const values: IndexValue[] = [];
    for (const e of plan.compartment) e.extract(resource, values);
    for (const v of values) {
      const id = patientOf(v);
      if (id !== undefined) patients.add(id);
    }
    const facts: MembershipFacts = {
      patients: [...patients].sort(),
      references: referencesOf(resource),
    };
    const dates: IndexValue[] = [];
    for (const e of plan.careDates) {
      e.extract(resource, dates);
      if (dates.length > 0) break;
    }
    if (dates.length > 0) {
      let low = Number.POSITIVE_INFINITY;
      let high = Number.NEGATIVE_INFINITY;
      for (const d of dates) {
        if (d.kind !== 'date') continue;
        if (d.low < low) low = d.low;
        if (d.high > high) high = d.high;
      }
      if (low <= high) facts.careDate = [low, high];
    }
    return facts;
  };
}

/**
 * The distinct literal relative references (`Type/id`) anywhere in a resource, Patients excluded.
 *
 * @example
 * ```ts
 * referencesOf({ resourceType: 'Encounter', serviceProvider: { reference: 'Organization/o1' } }); // ['Organization/o1']
 * ```
 */
export function referencesOf(resource: object): string[] {
  const out = new Set<string>();
  const stack: unknown[] = [resource];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (const item of node) if (item !== null && typeof item === 'object') stack.push(item);
      continue;
    }
    for (const key in node as Record<string, unknown>) {
      const value = (node as Record<string, unknown>)[key];
      if (key === 'reference' && typeof value === 'string') {
        const m = RELATIVE_REF.exec(value);
        if (m && m[1] !== 'Patient') out.add(`${m[1]}/${m[2]}`);
      } else if (value !== null && typeof value === 'object' && key !== 'contained') stack.push(value);
    }
  }
  return [...out];
}
