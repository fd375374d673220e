/**
 * The search conformance suite: the behaviour every {@link SearchEngine} must
 * show, written against the interface only (resources go in through
 * `store.commit`, the engine's projectors run in the projector runtime,
 * searches go through `search.search`). Run once per backend.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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
interface Harness {
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

const WAIT = { timeoutMs: 60_000 };

async function openHarness(options: SearchConformanceOptions): Promise<Harness> {
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
function sharedHarness(options: SearchConformanceOptions, data: AnyResource[]): () => Harness {
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
function freshHarness(options: SearchConformanceOptions): () => Harness {
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

const UCUM = 'http://unitsofmeasure.org';
const LOINC = 'http://loinc.org';

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

const P = (...ids: string[]) => ids.map((id) => `Patient/${id}`).sort();
const O = (...ids: string[]) => ids.map((id) => `Observation/${id}`).sort();
const refs = (rs: SearchResult['included']) => rs.map((m) => `${m.resourceType}/${m.id}`).sort();

/**
 * Register the search conformance suite for one backend, in vitest.
 *
 * @example
 * ```ts
 * runSearchConformance({
 *   name: 'lmdb',
 *   async setup() {
 *     const path = mkdtempSync(join(tmpdir(), 'fs-'));
 *     const backend = openLmdbBackend({ path });
 *     const store = createStore(backend);
 *     const runtime = createProjectorRuntime(store);
 *     const search = createLmdbSearchEngine({ backend, store, runtime });
 *     return { store, search, runtime, teardown: async () => rmSync(path, { recursive: true }) };
 *   },
 * });
 * ```
 */
export function runSearchConformance(options: SearchConformanceOptions): void {
  describe(`search [${options.name}]`, () => {
    describeParameterTypes(options);
    describeReferences(options);
    describeResults(options);
    describeWrites(options);
  });
}

function describeParameterTypes(options: SearchConformanceOptions): void {
  describe('parameter types', () => {
    const f = sharedHarness(options, SEARCH_CONFORMANCE_DATA);

    it('token: code, system|code, system|, |code, OR', async () => {
      expect(await f().ids('Observation', [['code', '1234-5']])).toEqual(O('obs1', 'obs3', 'obs4'));
      expect(await f().ids('Observation', [['code', `${LOINC}|1234-5`]])).toEqual(O('obs1', 'obs4'));
      expect(await f().ids('Observation', [['code', `${LOINC}|`]])).toEqual(O('obs1', 'obs2', 'obs4'));
      expect(await f().ids('Observation', [['code', '|1234-5']])).toEqual([]);
      expect(await f().ids('Observation', [['code', '9999-9,http://snomed.info/sct|1234-5']])).toEqual(
        O('obs2', 'obs3'),
      );
    });
    it('token: identifier system|value, value, :of-type', async () => {
      expect(await f().ids('Patient', [['identifier', 'http://ids|111']])).toEqual(P('p1'));
      expect(await f().ids('Patient', [['identifier', '222']])).toEqual(P('p2'));
      expect(await f().ids('Patient', [['identifier', 'http://other|111']])).toEqual([]);
      const ofType = 'http://terminology.hl7.org/CodeSystem/v2-0203|MR|111';
      expect(await f().ids('Patient', [['identifier:of-type', ofType]])).toEqual(P('p1'));
      expect(await f().ids('Patient', [['identifier:of-type', ofType.replace('MR', 'DL')]])).toEqual([]);
    });
    it('token: :not, :text, :missing, boolean, _id, _tag', async () => {
      expect(await f().ids('Observation', [['status:not', 'final']])).toEqual(O('obs2', 'obs4'));
      expect(await f().ids('Patient', [['gender:not', 'male']])).toEqual(P('p2', 'p4'));
      expect(await f().ids('Observation', [['code:text', 'blood']])).toEqual(O('obs1'));
      expect(await f().ids('Observation', [['code:text', 'pressure']])).toEqual(O('obs1'));
      expect(await f().ids('Observation', [['code:text', 'bp']])).toEqual(O('obs1'));
      expect(await f().ids('Patient', [['gender:missing', 'true']])).toEqual(P('p4'));
      expect(await f().ids('Patient', [['gender:missing', 'false']])).toEqual(P('p1', 'p2', 'p3'));
      expect(await f().ids('Patient', [['active', 'true']])).toEqual(P('p1'));
      expect(await f().ids('Patient', [['_id', 'p1,p3']])).toEqual(P('p1', 'p3'));
      expect(await f().ids('Patient', [['_tag', 'http://tags|vip']])).toEqual(P('p1'));
      expect(
        await f().ids('Patient', [
          ['gender', 'male'],
          ['_id', 'p1'],
        ]),
      ).toEqual(P('p1'));
    });
    it('string: starts-with, accents and case folded, :exact, :contains', async () => {
      expect(await f().ids('Patient', [['name', 'smi']])).toEqual(P('p1', 'p3'));
      expect(await f().ids('Patient', [['family', 'Smith']])).toEqual(P('p1', 'p3'));
      expect(await f().ids('Patient', [['family:exact', 'Smith']])).toEqual(P('p1'));
      expect(await f().ids('Patient', [['family:exact', 'smith']])).toEqual([]);
      expect(await f().ids('Patient', [['family:contains', 'ITH']])).toEqual(P('p1', 'p3'));
      expect(await f().ids('Patient', [['family:contains', 'son']])).toEqual(P('p3'));
      expect(await f().ids('Patient', [['name', 'muller']])).toEqual(P('p2'));
      expect(await f().ids('Patient', [['given', 'zoe']])).toEqual(P('p2'));
      expect(await f().ids('Patient', [['name', 'smith%']])).toEqual([]);
      expect(await f().ids('Organization', [['name', 'acme']])).toEqual(['Organization/o1']);
    });
    it('uri: exact, :below, :above, _profile', async () => {
      expect(await f().ids('ValueSet', [['url', 'http://acme.org/fhir/ValueSet/123']])).toEqual([
        'ValueSet/vs1',
      ]);
      expect(await f().ids('ValueSet', [['url:below', 'http://acme.org/fhir']])).toEqual([
        'ValueSet/vs1',
        'ValueSet/vs2',
      ]);
      expect(
        await f().ids('ValueSet', [['url:above', 'http://acme.org/fhir/ValueSet/123/_history/5']]),
      ).toEqual(['ValueSet/vs1']);
      expect(await f().ids('Patient', [['_profile', 'http://example.org/StructureDefinition/p']])).toEqual(
        P('p1'),
      );
    });
    it('date: precision ranges with every prefix', async () => {
      const b = (v: string) => f().ids('Patient', [['birthdate', v]]);
      expect(await b('1980')).toEqual(P('p1', 'p3'));
      expect(await b('1980-05')).toEqual(P('p1', 'p3'));
      expect(await b('1980-05-15')).toEqual(P('p1'));
      expect(await b('gt1980-05-15')).toEqual(P('p2', 'p3'));
      expect(await b('lt1980-05-15')).toEqual(P('p3'));
      expect(await b('ge1980-05-15')).toEqual(P('p1', 'p2', 'p3'));
      expect(await b('le1980-05-15')).toEqual(P('p1', 'p3'));
      expect(await b('sa1980-05-31')).toEqual(P('p2'));
      expect(await b('sa1980-05-30')).toEqual(P('p2'));
      expect(await b('eb1981')).toEqual(P('p1', 'p3'));
      expect(await b('ne1980')).toEqual(P('p2'));
      expect(await b('ap1980-05-15')).toEqual(P('p1', 'p3'));
      expect(await b('1990-06')).toEqual([]);
      expect(await b('ge1980-05-15,lt1980-01')).toEqual(P('p1', 'p2', 'p3'));
      expect(
        await f().ids('Patient', [
          ['birthdate', 'ge1980'],
          ['birthdate', 'lt1985'],
        ]),
      ).toEqual(P('p1', 'p3'));
    });
    it('date: edges of the precision ranges', async () => {
      const b = (v: string) => f().ids('Patient', [['birthdate', v]]);
      // p1 = [1980-05-15, end of day], p3 = the whole of May 1980, p2 = the whole of 1990.
      expect(await b('ge1980-05-31')).toEqual(P('p2'));
      expect(await b('gt1980-05-30')).toEqual(P('p2', 'p3'));
      expect(await b('le1980-05-01')).toEqual([]);
      expect(await b('lt1980-05-02')).toEqual(P('p3'));
      expect(await b('eb1980-05-31')).toEqual(P('p1'));
      expect(await b('sa1980-04-30')).toEqual(P('p1', 'p2', 'p3'));
      expect(await b('ne1980-05-15')).toEqual(P('p2', 'p3'));
      expect(await b('1980-05-15T12:00')).toEqual([]);
      expect(await b('gt1980-05-15T23:59:59.999Z')).toEqual(P('p2', 'p3'));
      expect(await b('ge1980-05-15T23:59:59.999Z')).toEqual(P('p2', 'p3'));
      expect(await b('lt1980-05-15T00:00:00.000Z')).toEqual(P('p3'));
      expect(await b('le1990-01-01')).toEqual(P('p1', 'p3'));
      expect(await b('le1990-01-02')).toEqual(P('p1', 'p2', 'p3'));
      expect(await b('le1990-12-31')).toEqual(P('p1', 'p2', 'p3'));
    });
    it('date: instants, periods and time zones', async () => {
      const d = (v: string) => f().ids('Observation', [['date', v]]);
      expect(await d('2020-01')).toEqual(O('obs1', 'obs2'));
      expect(await d('2020-01-01')).toEqual(O('obs1'));
      expect(await d('gt2020-01-15')).toEqual(O('obs2', 'obs3'));
      expect(await d('lt2020')).toEqual(O('obs4'));
      expect(await d('eb2020-01-02')).toEqual(O('obs1', 'obs4'));
      expect(await d('2020-01-01T11:00:00+01:00')).toEqual(O('obs1'));
      expect(await d('2020-01-01T10:00')).toEqual(O('obs1'));
      expect(await d('2019-12-31T23:59:59Z')).toEqual(O('obs4'));
      expect(await d('2019-12-31T23:59:58Z')).toEqual([]);
    });
    it('date: _lastUpdated', async () => {
      expect((await f().ids('Patient', [['_lastUpdated', 'gt2000-01-01']])).length).toBe(4);
      expect(await f().ids('Patient', [['_lastUpdated', 'lt2000']])).toEqual([]);
    });
    it('number: prefixes and implied precision', async () => {
      const p = (v: string) => f().ids('RiskAssessment', [['probability', v]]);
      expect(await p('0.8')).toEqual(['RiskAssessment/ra1']);
      expect(await p('gt0.5')).toEqual(['RiskAssessment/ra1']);
      expect(await p('lt0.5')).toEqual(['RiskAssessment/ra2']);
      expect(await p('ge0.8')).toEqual(['RiskAssessment/ra1']);
      expect(await p('le0.25')).toEqual(['RiskAssessment/ra2']);
      expect(await p('ap0.26')).toEqual(['RiskAssessment/ra2']);
      expect(await p('ne0.8')).toEqual(['RiskAssessment/ra2']);
      expect(await p('0.4')).toEqual([]);
      expect(await p('0.3')).toEqual(['RiskAssessment/ra2']);
    });
    it('quantity: UCUM canonical units, unit only, no unit', async () => {
      const q = (v: string) => f().ids('Observation', [['value-quantity', v]]);
      expect(await q(`5.4|${UCUM}|mg`)).toEqual(O('obs1', 'obs2'));
      expect(await q(`lt0.01|${UCUM}|g`)).toEqual(O('obs1', 'obs2'));
      expect(await q('gt1')).toEqual(O('obs1', 'obs3'));
      expect(await q('100||kg')).toEqual(O('obs3'));
      expect(await q('100||g')).toEqual([]);
    });
    it('full text: _text (narrative), _content (all text)', async () => {
      expect(await f().ids('Patient', [['_text', 'cough']])).toEqual(P('p1'));
      expect(await f().ids('Patient', [['_text', 'chronic cough']])).toEqual(P('p1'));
      expect(await f().ids('Patient', [['_text', 'smith']])).toEqual([]);
      expect(await f().ids('Practitioner', [['_content', 'house']])).toEqual(['Practitioner/pr1']);
      expect(await f().ids('Organization', [['_content', 'acme']])).toEqual(['Organization/o1']);
      expect(await f().ids('Organization', [['_content', 'clinic']])).toEqual(['Organization/o2']);
    });
  });
}

function describeReferences(options: SearchConformanceOptions): void {
  describe('references', () => {
    const f = sharedHarness(options, SEARCH_CONFORMANCE_DATA);

    it('Type/id, id, :Type, :identifier, :missing', async () => {
      expect(await f().ids('Observation', [['subject', 'Patient/p1']])).toEqual(O('obs1', 'obs2'));
      expect(await f().ids('Observation', [['subject', 'p1']])).toEqual(O('obs1', 'obs2'));
      expect(await f().ids('Observation', [['subject:Patient', 'p1']])).toEqual(O('obs1', 'obs2'));
      expect(await f().ids('Observation', [['patient', 'p2']])).toEqual(O('obs3'));
      expect(await f().ids('Observation', [['subject:identifier', 'http://ids|222']])).toEqual(O('obs4'));
      expect(await f().ids('Observation', [['subject:identifier', '222']])).toEqual(O('obs4'));
      expect(await f().ids('Observation', [['performer:missing', 'false']])).toEqual(O('obs1'));
      expect(await f().ids('Observation', [['performer:missing', 'true']])).toEqual(
        O('obs2', 'obs3', 'obs4'),
      );
      expect(await f().ids('Patient', [['organization', 'Organization/o1']])).toEqual(P('p1'));
    });
    it('chains: typed, untyped and multi-level', async () => {
      expect(await f().ids('Observation', [['subject:Patient.name', 'smith']])).toEqual(O('obs1', 'obs2'));
      expect(await f().ids('Observation', [['subject.family', 'müller']])).toEqual(O('obs3'));
      expect(await f().ids('Observation', [['subject:Patient.organization.name', 'acme']])).toEqual(
        O('obs1', 'obs2'),
      );
      expect(
        await f().ids('Observation', [
          ['subject:Patient.organization.name', 'beta'],
          ['code', '1234-5'],
        ]),
      ).toEqual(O('obs3'));
      expect(await f().ids('Observation', [['subject:Patient.gender', 'female,male']])).toEqual(
        O('obs1', 'obs2', 'obs3'),
      );
    });
    it('_has, nested', async () => {
      expect(await f().ids('Patient', [['_has:Observation:patient:code', '1234-5']])).toEqual(P('p1', 'p2'));
      expect(
        await f().ids('Patient', [['_has:Observation:patient:_has:Provenance:target:_id', 'prov1']]),
      ).toEqual(P('p1'));
      expect(await f().ids('Patient', [['_has:Observation:patient:status', 'cancelled']])).toEqual([]);
    });
    it('_list', async () => {
      expect(await f().ids('Patient', [['_list', 'list1']])).toEqual(P('p1', 'p3'));
      expect(await f().ids('Patient', [['_list', 'nope']])).toEqual([]);
    });
    it('compartment search', async () => {
      const c = (type: string, id: string) => ({
        compartment: { resourceType: 'Patient', id },
        resourceType: type,
      });
      expect(await f().ids('Observation', [], c('Observation', 'p1'))).toEqual(O('obs1', 'obs2'));
      expect(await f().ids('Observation', [['code', '9999-9']], c('Observation', 'p1'))).toEqual(O('obs2'));
      expect(await f().ids('Observation', [], c('Observation', 'p2'))).toEqual(O('obs3'));
      expect(await f().ids('Patient', [], c('Patient', 'p1'))).toEqual(P('p1', 'p3'));
      expect(await f().ids('RiskAssessment', [], c('RiskAssessment', 'p2'))).toEqual(['RiskAssessment/ra2']);
    });
    it('system search, with and without _type', async () => {
      expect(
        await f().ids(undefined, [
          ['_type', 'Patient,Practitioner'],
          ['name', 'house,brown'],
        ]),
      ).toEqual(['Patient/p4', 'Practitioner/pr1']);
      expect(await f().ids(undefined, [['_id', 'p1,o1']])).toEqual(['Organization/o1', 'Patient/p1']);
    });
    it('_include, :iterate, _include=*, no duplicates', async () => {
      const r = await f().search('Observation', [
        ['_id', 'obs1'],
        ['_include', 'Observation:subject'],
        ['_include:iterate', 'Patient:organization'],
        ['_include:iterate', 'Organization:partof'],
      ]);
      expect(r.matches.map((m) => m.id)).toEqual(['obs1']);
      expect(refs(r.included)).toEqual(['Organization/o1', 'Organization/o3', 'Patient/p1']);
      const shallow = await f().search('Observation', [
        ['_id', 'obs1'],
        ['_include', 'Observation:subject'],
        ['_include', 'Patient:organization'],
      ]);
      expect(shallow.included.map((m) => m.id)).toEqual(['p1']);
      const noRepeat = await f().search('Patient', [
        ['_id', 'p1,p3'],
        ['_include', 'Patient:link'],
      ]);
      expect(noRepeat.included).toEqual([]);
      const star = await f().search('Observation', [
        ['_id', 'obs1'],
        ['_include', '*'],
      ]);
      expect(refs(star.included)).toEqual(['Patient/p1', 'Practitioner/pr1']);
      const typed = await f().search('Observation', [
        ['_id', 'obs1'],
        ['_include', 'Observation:performer:Organization'],
      ]);
      expect(typed.included).toEqual([]);
    });
    it('_revinclude, :iterate, with _include', async () => {
      const two = await f().search('Observation', [
        ['subject', 'p1'],
        ['_include', 'Observation:subject'],
        ['_revinclude', 'Provenance:target'],
      ]);
      expect(refs(two.included)).toEqual(['Patient/p1', 'Provenance/prov1']);
      const rev = await f().search('Patient', [
        ['_id', 'p1'],
        ['_revinclude', 'Observation:subject'],
        ['_revinclude:iterate', 'Provenance:target'],
      ]);
      expect(rev.matches.map((m) => m.id)).toEqual(['p1']);
      expect(refs(rev.included)).toEqual(['Observation/obs1', 'Observation/obs2', 'Provenance/prov1']);
      const shallow = await f().search('Patient', [
        ['_id', 'p1'],
        ['_revinclude', 'Observation:subject'],
        ['_revinclude', 'Provenance:target'],
      ]);
      expect(refs(shallow.included)).toEqual(['Observation/obs1', 'Observation/obs2']);
    });
  });
}

function describeResults(options: SearchConformanceOptions): void {
  describe('results', () => {
    const f = sharedHarness(options, SEARCH_CONFORMANCE_DATA);
    const order = async (params: SearchParams) =>
      (await f().search('Patient', params)).matches.map((m) => m.id);

    it('sorts by one and several keys, descending, missing last', async () => {
      expect(await order([['_sort', 'family']])).toEqual(['p4', 'p2', 'p1', 'p3']);
      expect(await order([['_sort', '-family']])).toEqual(['p3', 'p1', 'p2', 'p4']);
      expect(await order([['_sort', '-birthdate']])).toEqual(['p2', 'p3', 'p1', 'p4']);
      expect(await order([['_sort', 'birthdate']])).toEqual(['p3', 'p1', 'p2', 'p4']);
      expect(await order([['_sort', 'gender,-birthdate']])).toEqual(['p2', 'p3', 'p1', 'p4']);
      expect(await order([['_sort', '-_id']])).toEqual(['p4', 'p3', 'p2', 'p1']);
      expect(await order([])).toHaveLength(4);
    });
    it('_total, _summary=count, _count=0', async () => {
      expect((await f().search('Patient', [['_total', 'accurate']])).total).toBe(4);
      expect((await f().search('Patient', [['_total', 'none']])).total).toBeUndefined();
      const count = await f().search('Patient', [['_summary', 'count']]);
      expect(count.matches).toEqual([]);
      expect(count.total).toBe(4);
      const filtered = await f().search('Observation', [
        ['_summary', 'count'],
        ['code', '1234-5'],
      ]);
      expect(filtered.total).toBe(3);
      expect(filtered.included).toEqual([]);
      const zero = await f().search('Patient', [['_count', '0']]);
      expect(zero.matches).toEqual([]);
      expect(zero.total).toBe(4);
      expect(zero.next).toBeUndefined();
    });
    it('strict rejects and lenient warns on unknown or unsupported parameters', async () => {
      const strict = { handling: 'strict' as const };
      await expect(f().search('Patient', [['nope', 'x']], strict)).rejects.toMatchObject({
        code: 'unknown-parameter',
      });
      await expect(f().search('Patient', [['name:nope', 'x']], strict)).rejects.toMatchObject({
        code: 'unknown-parameter',
      });
      await expect(f().search('Patient', [['_filter', 'x']], strict)).rejects.toMatchObject({
        code: 'not-supported',
      });
      const r = await f().search('Patient', [
        ['nope', 'x'],
        ['gender', 'female'],
      ]);
      expect(r.matches.map((m) => m.id)).toEqual(['p2']);
      expect(r.selfParams).toEqual([['gender', 'female']]);
      expect(r.warnings).toHaveLength(1);
      await expect(f().search('Patient', [['birthdate', 'xx1980']])).rejects.toMatchObject({
        code: 'invalid',
      });
    });
    it('lists the parameters it supports', () => {
      const names = f()
        .fixture.search.parametersFor('Patient')
        .map((p) => p.name);
      for (const n of ['_id', '_lastUpdated', 'name', 'birthdate', 'gender', 'organization'])
        expect(names).toContain(n);
      expect(names).not.toContain('_filter');
    });
  });
}

const pages = (ids: string[], family = 'Page') =>
  ids.map(
    (id, i) =>
      ({
        resourceType: 'Patient',
        id,
        name: [{ family }],
        birthDate: `19${String(50 + (i % 40)).padStart(2, '0')}`,
      }) as AnyResource,
  );
const paramOf = (params: SearchParams | undefined, name: string) => params?.find(([n]) => n === name)?.[1];

function describeWrites(options: SearchConformanceOptions): void {
  describe('writes and paging', () => {
    const f = freshHarness(options);

    it('searches an empty store', async () => {
      const r = await f().search('Patient', [['name', 'x']]);
      expect(r.matches).toEqual([]);
      expect(r.total).toBe(0);
    });
    it('reflects updates and deletes, in matches and includes', async () => {
      await f().load(SEARCH_CONFORMANCE_DATA);
      await f().load([{ resourceType: 'Organization', id: 'o2', name: 'Gamma Clinic' } as AnyResource]);
      expect(await f().ids('Organization', [['name', 'beta']])).toEqual([]);
      expect(await f().ids('Organization', [['name', 'gamma']])).toEqual(['Organization/o2']);
      expect(await f().ids('Organization', [['_content', 'gamma']])).toEqual(['Organization/o2']);
      await f().remove('ValueSet', 'vs3');
      expect(await f().ids('ValueSet', [])).toEqual(['ValueSet/vs1', 'ValueSet/vs2']);
      await f().remove('Practitioner', 'pr1');
      const r = await f().search('Observation', [
        ['_id', 'obs1'],
        ['_include', '*'],
      ]);
      expect(refs(r.included)).toEqual(['Patient/p1']);
      expect(await f().ids('Practitioner', [['_content', 'house']])).toEqual([]);
      // Re-created after the delete: found again.
      await f().load([
        { resourceType: 'Practitioner', id: 'pr1', name: [{ family: 'Wilson' }] } as AnyResource,
      ]);
      expect(await f().ids('Practitioner', [['name', 'wilson']])).toEqual(['Practitioner/pr1']);
      expect(await f().ids('Practitioner', [['name', 'house']])).toEqual([]);
    });
    it('updates replace every index value of the previous version', async () => {
      await f().load([
        {
          resourceType: 'Observation',
          id: 'u1',
          status: 'final',
          code: { coding: [{ system: LOINC, code: '1-1' }] },
          subject: { reference: 'Patient/a' },
          effectiveDateTime: '2020-01-01',
          valueQuantity: { value: 1, system: UCUM, code: 'mg' },
        } as AnyResource,
      ]);
      await f().load([
        {
          resourceType: 'Observation',
          id: 'u1',
          status: 'amended',
          code: { coding: [{ system: LOINC, code: '2-2' }] },
          subject: { reference: 'Patient/b' },
          effectiveDateTime: '2021-01-01',
          valueQuantity: { value: 2, system: UCUM, code: 'mg' },
        } as AnyResource,
      ]);
      const o = (params: SearchParams) => f().ids('Observation', params);
      for (const [k, old, now] of [
        ['status', 'final', 'amended'],
        ['code', '1-1', '2-2'],
        ['subject', 'Patient/a', 'Patient/b'],
        ['date', '2020', '2021'],
        ['value-quantity', `1|${UCUM}|mg`, `2|${UCUM}|mg`],
      ] as const) {
        expect(await o([[k, old]])).toEqual([]);
        expect(await o([[k, now]])).toEqual(['Observation/u1']);
      }
    });
    it('pages stay stable while writes continue: no repeats, no skips', async () => {
      const first = Array.from({ length: 25 }, (_, i) => `m${String(i).padStart(2, '0')}`);
      await f().load(pages(first));
      const seen: string[] = [];
      let page = await f().search('Patient', [
        ['family', 'page'],
        ['_count', '10'],
        ['_sort', 'birthdate'],
      ]);
      expect(page.total).toBe(25);
      seen.push(...page.matches.map((m) => m.id));
      // Rows that sort before, between and after the first page are written between pages.
      await f().load(pages(['a0', 'm055', 'z9'], 'Page'));
      while (page.next) {
        page = await f().search('Patient', page.next);
        seen.push(...page.matches.map((m) => m.id));
      }
      expect(seen).toHaveLength(25);
      expect(new Set(seen)).toEqual(new Set(first));
      const fresh = await f().search('Patient', [
        ['family', 'page'],
        ['_total', 'accurate'],
      ]);
      expect(fresh.total).toBe(28);
    });
    it('previous goes back to the same rows; cursors belong to their query', async () => {
      await f().load(pages(Array.from({ length: 12 }, (_, i) => `q${String(i).padStart(2, '0')}`)));
      const p1 = await f().search('Patient', [
        ['_count', '5'],
        ['_sort', '-_id'],
      ]);
      expect(p1.previous).toBeUndefined();
      const p2 = await f().search('Patient', p1.next!);
      expect(p2.matches.map((m) => m.id)).toEqual(['q06', 'q05', 'q04', 'q03', 'q02']);
      expect(p2.previous).toBeDefined();
      const back = await f().search('Patient', p2.previous!);
      expect(back.matches.map((m) => m.id)).toEqual(p1.matches.map((m) => m.id));
      expect(p1.matches.map((m) => m.id)).toEqual(['q11', 'q10', 'q09', 'q08', 'q07']);
      const p3 = await f().search('Patient', p2.next!);
      expect(p3.matches.map((m) => m.id)).toEqual(['q01', 'q00']);
      expect(p3.next).toBeUndefined();
      expect(paramOf(p1.next, '_cursor')).toBeTruthy();
      await expect(
        f().search('Patient', [
          ['_count', '6'],
          ['_cursor', paramOf(p1.next, '_cursor')!],
        ]),
      ).rejects.toMatchObject({ code: 'invalid' });
      const again = await f().search('Patient', [
        ['_sort', '-_id'],
        ['_count', '5'],
      ]);
      expect(again.matches.map((m) => m.id)).toEqual(p1.matches.map((m) => m.id));
    });
    it('pages a sort with missing values and ties', async () => {
      const data = pages(Array.from({ length: 9 }, (_, i) => `t${i}`));
      for (const [i, r] of data.entries()) if (i % 3 === 0) delete (r as { birthDate?: string }).birthDate;
      await f().load(data);
      const all = (await f().search('Patient', [['_sort', '-birthdate,_id']])).matches.map((m) => m.id);
      const paged: string[] = [];
      let page = await f().search('Patient', [
        ['_sort', '-birthdate,_id'],
        ['_count', '2'],
      ]);
      paged.push(...page.matches.map((m) => m.id));
      while (page.next) {
        page = await f().search('Patient', page.next);
        paged.push(...page.matches.map((m) => m.id));
      }
      expect(paged).toEqual(all);
      expect(all.slice(-3)).toEqual(['t0', 't3', 't6']);
    });
    it('runtime SearchParameter: backfilled in the background, not-ready until then', async (ctx) => {
      const add = f().fixture.search.addSearchParameter?.bind(f().fixture.search);
      if (!add) return ctx.skip();
      await f().load([
        {
          resourceType: 'Patient',
          id: 'n1',
          name: [{ use: 'nickname', given: ['Bobby'] }, { family: 'Roberts' }],
        } as AnyResource,
        { resourceType: 'Patient', id: 'n2', name: [{ family: 'Other' }] } as AnyResource,
      ]);
      const done = add({
        url: 'http://example.org/SearchParameter/nickname',
        code: 'nickname',
        base: ['Patient'],
        type: 'string',
        expression: "Patient.name.where(use='nickname').given",
      });
      await expect(
        f().search('Patient', [['nickname', 'bob']], { handling: 'strict' }),
      ).rejects.toMatchObject({ code: 'not-ready' });
      const lenient = await f().search('Patient', [['nickname', 'bob']]);
      expect(lenient.warnings[0]).toMatchObject({ severity: 'warning', code: 'transient' });
      await done;
      expect(await f().ids('Patient', [['nickname', 'bob']])).toEqual(['Patient/n1']);
      await f().load([
        { resourceType: 'Patient', id: 'n3', name: [{ use: 'nickname', given: ['Bobbie'] }] } as AnyResource,
      ]);
      expect(await f().ids('Patient', [['nickname', 'bob']])).toEqual(['Patient/n1', 'Patient/n3']);
      expect(
        f()
          .fixture.search.parametersFor('Patient')
          .some((p) => p.name === 'nickname'),
      ).toBe(true);
    });
  });
}
