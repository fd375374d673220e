/**
 * The fixture and data of the search conformance suite (see `search.conformance.ts`).
 */

import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { requestContext } from '../context/request-context.js';
import type { SearchParameterDefinition } from '../definitions/index.js';
import type { ProjectorRuntime } from '../projection/runtime.js';
import type { SearchEngine, SearchParams, SearchRequest, SearchResult } from '../search/types.js';
import type { ResourceStore } from '../store/create-store.js';
import type { AnyResource } from '../store/types.js';

/** An engine that can add search parameters at runtime (indexed in the background). */
export interface RuntimeSearchParameters {
  addSearchParameter(definition: SearchParameterDefinition): Promise<void>;
}

/** A fresh, empty store with a search engine over it. */
export interface SearchBackendFixture {
  store: ResourceStore;
  /** The engine; its `projectors` are registered by the suite. With `addSearchParameter`, the runtime-parameter test runs too. */
  search: SearchEngine & Partial<RuntimeSearchParameters>;
  /** The runtime the engine was given (not started with any projector yet). */
  runtime: ProjectorRuntime;
  /** Remove what the fixture created; called after the suite stopped the runtime and closed the store. */
  teardown?(): Promise<void>;
}

/** What a backend passes to {@link runSearchConformance}. */
export interface SearchConformanceOptions {
  /** Shown in the test names, e.g. `lmdb`. */
  name: string;
  /** Make a fresh, empty store and engine. */
  setup(): Promise<SearchBackendFixture>;
}

/** A running fixture with the helpers the tests use. */
export interface Harness {
  fixture: SearchBackendFixture;
  load(resources: AnyResource[]): Promise<number>;
  remove(resourceType: string, id: string): Promise<void>;
  search(
    type: string | undefined,
    params: SearchParams,
    extra?: Partial<SearchRequest>,
  ): Promise<SearchResult>;
  /** `Type/id` of every match, sorted. */
  ids(type: string | undefined, params: SearchParams, extra?: Partial<SearchRequest>): Promise<string[]>;
  close(): Promise<void>;
}

export const WAIT = { timeoutMs: 60_000 };

export async function openHarness(options: SearchConformanceOptions): Promise<Harness> {
  const fixture = await options.setup();
  const { store, search, runtime } = fixture;
  for (const p of search.projectors) await runtime.register(p);
  const h: Harness = {
    fixture,
    async load(resources) {
      const { seq } = await store.commit(
        resources.map((resource) =>
          resource.id
            ? { op: 'update' as const, resource: resource as AnyResource & { id: string } }
            : { op: 'create' as const, resource },
        ),
      );
      await runtime.waitFor(seq, WAIT);
      return seq;
    },
    async remove(resourceType, id) {
      const { seq } = await store.commit([{ op: 'delete', resourceType, id }]);
      await runtime.waitFor(seq, WAIT);
    },
    search: (type, params, extra = {}) =>
      search.search({ ...(type ? { resourceType: type } : {}), params, ...extra }, requestContext()),
    async ids(type, params, extra) {
      const r = await h.search(type, [...params, ['_count', '1000']], extra);
      return r.matches.map((m) => `${m.resourceType}/${m.id}`).sort();
    },
    async close() {
      await runtime.stop();
      await store.close();
      await fixture.teardown?.();
    },
  };
  return h;
}

/** One harness for a whole `describe` (read-only tests over shared data). */
export function sharedHarness(options: SearchConformanceOptions, data: AnyResource[]): () => Harness {
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await openHarness(options);
    await h.load(data);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });
  return () => h!;
}

/** A fresh harness per test (tests that write). */
export function freshHarness(options: SearchConformanceOptions): () => Harness {
  let h: Harness | undefined;
  beforeEach(async () => {
    h = await openHarness(options);
  }, 60_000);
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  return () => h!;
}

export const UCUM = 'http://unitsofmeasure.org';
export const LOINC = 'http://loinc.org';

/** The shared data set: a small graph of patients, observations and friends. */
export const SEARCH_CONFORMANCE_DATA = [
  { resourceType: 'Organization', id: 'o3', name: 'Parent Org' },
  { resourceType: 'Organization', id: 'o1', name: 'Acme Health', partOf: { reference: 'Organization/o3' } },
  { resourceType: 'Organization', id: 'o2', name: 'Beta Clinic' },
  {
    resourceType: 'Patient',
    id: 'p1',
    meta: {
      tag: [{ system: 'http://tags', code: 'vip' }],
      profile: ['http://example.org/StructureDefinition/p'],
    },
    text: {
      status: 'generated',
      div: '<div xmlns="http://www.w3.org/1999/xhtml">Patient John with chronic cough</div>',
    },
    identifier: [
      {
        system: 'http://ids',
        value: '111',
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] },
      },
    ],
    active: true,
    name: [{ family: 'Smith', given: ['John'] }],
    gender: 'male',
    birthDate: '1980-05-15',
    managingOrganization: { reference: 'Organization/o1' },
  },
  {
    resourceType: 'Patient',
    id: 'p2',
    identifier: [{ system: 'http://ids', value: '222' }],
    name: [{ family: 'Müller', given: ['Zoë'] }],
    gender: 'female',
    birthDate: '1990',
    managingOrganization: { reference: 'Organization/o2' },
  },
  {
    resourceType: 'Patient',
    id: 'p3',
    name: [{ family: 'Smithson' }],
    gender: 'male',
    birthDate: '1980-05',
    link: [{ other: { reference: 'Patient/p1' }, type: 'seealso' }],
  },
  { resourceType: 'Patient', id: 'p4', name: [{ family: 'Brown' }] },
  { resourceType: 'Practitioner', id: 'pr1', name: [{ family: 'House', given: ['Gregory'] }] },
  {
    resourceType: 'Observation',
    id: 'obs1',
    status: 'final',
    code: { coding: [{ system: LOINC, code: '1234-5', display: 'Blood pressure' }], text: 'BP' },
    subject: { reference: 'Patient/p1' },
    performer: [{ reference: 'Practitioner/pr1' }],
    effectiveDateTime: '2020-01-01T10:00:00Z',
    valueQuantity: { value: 5.4, unit: 'mg', system: UCUM, code: 'mg' },
  },
  {
    resourceType: 'Observation',
    id: 'obs2',
    status: 'preliminary',
    code: { coding: [{ system: LOINC, code: '9999-9' }] },
    subject: { reference: 'Patient/p1' },
    effectivePeriod: { start: '2020-01-01', end: '2020-01-31' },
    valueQuantity: { value: 0.0054, unit: 'g', system: UCUM, code: 'g' },
  },
  {
    resourceType: 'Observation',
    id: 'obs3',
    status: 'final',
    code: { coding: [{ system: 'http://snomed.info/sct', code: '1234-5' }] },
    subject: { reference: 'Patient/p2' },
    effectiveDateTime: '2021-06',
    valueQuantity: { value: 100, unit: 'kg', code: 'kg' },
  },
  {
    resourceType: 'Observation',
    id: 'obs4',
    status: 'cancelled',
    code: { coding: [{ system: LOINC, code: '1234-5' }] },
    subject: { identifier: { system: 'http://ids', value: '222' } },
    effectiveDateTime: '2019-12-31T23:59:59Z',
  },
  {
    resourceType: 'Provenance',
    id: 'prov1',
    target: [{ reference: 'Observation/obs1' }],
    recorded: '2020-01-02T00:00:00Z',
    agent: [{ who: { reference: 'Practitioner/pr1' } }],
  },
  {
    resourceType: 'List',
    id: 'list1',
    status: 'current',
    mode: 'working',
    entry: [{ item: { reference: 'Patient/p1' } }, { item: { reference: 'Patient/p3' } }],
  },
  {
    resourceType: 'RiskAssessment',
    id: 'ra1',
    status: 'final',
    subject: { reference: 'Patient/p1' },
    prediction: [{ probabilityDecimal: 0.8 }],
  },
  {
    resourceType: 'RiskAssessment',
    id: 'ra2',
    status: 'final',
    subject: { reference: 'Patient/p2' },
    prediction: [{ probabilityDecimal: 0.25 }],
  },
  { resourceType: 'ValueSet', id: 'vs1', status: 'active', url: 'http://acme.org/fhir/ValueSet/123' },
  { resourceType: 'ValueSet', id: 'vs2', status: 'active', url: 'http://acme.org/fhir/ValueSet/456' },
  { resourceType: 'ValueSet', id: 'vs3', status: 'active', url: 'http://other.org/vs' },
] as AnyResource[];

export const P = (...ids: string[]) => ids.map((id) => `Patient/${id}`).sort();
export const O = (...ids: string[]) => ids.map((id) => `Observation/${id}`).sort();
export const refs = (rs: SearchResult['included']) => rs.map((m) => `${m.resourceType}/${m.id}`).sort();
