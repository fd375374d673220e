/**
 * Searches whose OR lists are longer than PostgreSQL's 65,535 bind parameters
 * per statement: a comma list of 70,000 values, `:in` / `:not-in` expansions
 * of several large ValueSets, many values in several clauses. Each list holds
 * a few values that match and many that do not.
 */
import {
  type AnyResource,
  createProjectorRuntime,
  createStore,
  engineTerminologySource,
  type ProjectorRuntime,
  type ResourceStore,
  requestContext,
  resolveSearchTerminology,
  type SearchEngine,
  type SearchParams,
} from '@fhirstream/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresBackend } from '../postgres-backend.js';
import { dropSchema, POSTGRES_URL, randomSchema, suiteTitle } from '../test-database.js';
import { createPostgresSearchEngine } from './postgres-search-engine.js';

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';
const V2 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
/** More values than a statement can bind parameters. */
const MANY = 70_000;

/** `make(i)` for i < n, then `extra`, as one comma list. */
const list = (n: number, make: (i: number) => string, ...extra: string[]) =>
  [...Array.from({ length: n }, (_, i) => make(i)), ...extra].join(',');
const P = (...ids: string[]) => ids.map((id) => `Patient/${id}`).sort();
const O = (...ids: string[]) => ids.map((id) => `Observation/${id}`).sort();
const obs = (id: string, coding: object, extra: object = {}) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [coding] },
  ...extra,
});
/** A ValueSet expanded to `n` LOINC codes `v{i}`, plus `c1` (LOINC) and `c2` (SNOMED). */
const bigValueSet = (id: string, n: number) => ({
  resourceType: 'ValueSet',
  id,
  url: `http://example.org/fhir/ValueSet/${id}`,
  status: 'active',
  expansion: {
    timestamp: '2024-01-01T00:00:00Z',
    contains: [
      ...Array.from({ length: n }, (_, i) => ({ system: LOINC, code: `v${id}${i}` })),
      { system: LOINC, code: 'c1' },
      { system: SNOMED, code: 'c2' },
    ],
  },
});

const DATA = [
  { resourceType: 'Organization', id: 'org1', name: 'Org One' },
  { resourceType: 'Organization', id: 'org2', name: 'Org Two' },
  {
    resourceType: 'Patient',
    id: 'pa',
    meta: { profile: ['http://example.org/sd/a'] },
    identifier: [{ system: 'http://ids', value: 'A1', type: { coding: [{ system: V2, code: 'MR' }] } }],
    name: [{ family: 'Alpha' }],
    gender: 'male',
    birthDate: '1980-01-01',
    managingOrganization: { reference: 'Organization/org1' },
  },
  {
    resourceType: 'Patient',
    id: 'pb',
    identifier: [{ system: 'http://other', value: 'B1' }],
    name: [{ family: 'Beta' }],
    gender: 'female',
    birthDate: '1990-06-15',
    managingOrganization: {
      reference: 'Organization/org2',
      identifier: { system: 'http://orgs', value: 'O2' },
    },
  },
  { resourceType: 'Patient', id: 'pc', name: [{ family: 'Gamma' }], birthDate: '2000-12-31' },
  obs(
    'o1',
    { system: LOINC, code: 'c1' },
    {
      subject: { reference: 'Patient/pa' },
      effectiveDateTime: '2020-01-01',
      valueQuantity: { value: 5, unit: 'mg', system: UCUM, code: 'mg' },
    },
  ),
  obs(
    'o2',
    { system: SNOMED, code: 'c2' },
    {
      code: { coding: [{ system: SNOMED, code: 'c2' }], text: 'Blood pressure' },
      status: 'amended',
      subject: { reference: 'Patient/pb' },
      valueQuantity: { value: 10, unit: 'kg', system: UCUM, code: 'kg' },
    },
  ),
  obs('o3', { system: LOINC, code: 'zz' }, { subject: { reference: 'Patient/pc' } }),
  bigValueSet('vs1', 4_990),
  bigValueSet('vs2', 4_990),
] as AnyResource[];

describe.skipIf(!POSTGRES_URL)(suiteTitle('postgres search: OR lists beyond 65,535 parameters'), () => {
  let store: ResourceStore;
  let runtime: ProjectorRuntime;
  let search: SearchEngine;
  const schema = randomSchema();

  beforeAll(async () => {
    const backend = await openPostgresBackend({ connectionString: POSTGRES_URL!, schema, maxConnections: 4 });
    store = createStore(backend);
    runtime = createProjectorRuntime(store, { batchSize: 200 });
    search = createPostgresSearchEngine({ backend, store, runtime });
    for (const p of search.projectors) await runtime.register(p);
    const { seq } = await store.commit(
      DATA.map((resource) => ({ op: 'update' as const, resource: resource as AnyResource & { id: string } })),
    );
    await runtime.waitFor(seq, { timeoutMs: 60_000 });
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    await store?.close();
    await dropSchema(schema);
  });

  /** `Type/id` of every match, the terminology of the parameters resolved first (as the server does). */
  const ids = async (type: string, params: SearchParams) => {
    const terminology = await resolveSearchTerminology(params, engineTerminologySource(search, store));
    const result = await search.search(
      {
        resourceType: type,
        params: [...params, ['_count', '1000']],
        ...(terminology ? { terminology } : {}),
      },
      requestContext(),
    );
    return result.matches.map((m) => `${m.resourceType}/${m.id}`).sort();
  };
  /** The `_summary=count` total. */
  const total = async (type: string, params: SearchParams) =>
    (
      await search.search(
        { resourceType: type, params: [...params, ['_summary', 'count']] },
        requestContext(),
      )
    ).total;

  it('token system|code: 70,000 values, and :not of them', async () => {
    const codes = list(MANY, (i) => `${LOINC}|n${i}`, `${LOINC}|c1`, `${SNOMED}|c2`, `${SNOMED}|zz`);
    expect(await ids('Observation', [['code', codes]])).toEqual(O('o1', 'o2'));
    expect(await ids('Observation', [['code:not', codes]])).toEqual(O('o3'));
    expect(await total('Observation', [['code', codes]])).toBe(2);
  });

  it('token code only (any system), |code (no system), system| (any code), with :not', async () => {
    expect(await ids('Observation', [['code', list(MANY, (i) => `n${i}`, 'c1', 'c2')]])).toEqual(
      O('o1', 'o2'),
    );
    expect(
      await ids('Patient', [['gender', list(MANY, (i) => `|n${i}`, '|male', `${LOINC}|female`)]]),
    ).toEqual(P('pa'));
    expect(await ids('Patient', [['gender:not', list(MANY, (i) => `n${i}`, 'male')]])).toEqual(P('pb', 'pc'));
    expect(await ids('Patient', [['identifier', list(MANY, (i) => `http://s${i}|`, 'http://ids|')]])).toEqual(
      P('pa'),
    );
    expect(
      await ids('Patient', [['identifier:not', list(MANY, (i) => `http://s${i}|`, 'http://ids|')]]),
    ).toEqual(P('pb', 'pc'));
    expect(await ids('Patient', [['_id', list(MANY, (i) => `x${i}`, 'pb', 'pc')]])).toEqual(P('pb', 'pc'));
  });

  it(':in / :not-in of large ValueSets, in several clauses', async () => {
    const vs1 = 'http://example.org/fhir/ValueSet/vs1';
    const vs2 = 'http://example.org/fhir/ValueSet/vs2';
    const params: SearchParams = [
      ['code:in', vs1],
      ['code:in', vs2],
      ['code:in', vs1],
      ['code:in', vs2],
      ['code:in', vs1],
    ];
    expect(await ids('Observation', params)).toEqual(O('o1', 'o2'));
    expect(await ids('Observation', [...params.slice(1), ['code:not-in', vs1]])).toEqual([]);
    expect(
      await ids('Observation', [
        ['code:not-in', vs1],
        ['code:not-in', vs2],
      ]),
    ).toEqual(O('o3'));
  });

  it('many values in several clauses of every kind', async () => {
    const n = 20_000;
    const reference = list(n, (i) => `Patient/x${i}`, 'Patient/pa', 'Patient/pb');
    expect(
      await ids('Observation', [
        ['code', list(n, (i) => `${LOINC}|n${i}`, `${LOINC}|c1`, `${SNOMED}|c2`)],
        ['subject', reference],
        ['status', list(n, (i) => `s${i}`, 'final', 'amended')],
        ['_id', list(n, (i) => `x${i}`, 'o1', 'o2', 'o3')],
        ['value-quantity', list(n, (i) => `${1000 + i}|${UCUM}|mg`, `5|${UCUM}|mg`, `10000|${UCUM}|g`)],
      ]),
    ).toEqual(O('o1', 'o2'));
    expect(
      await ids('Patient', [
        ['name', list(n, (i) => `zz${i}`, 'alp', 'gam')],
        ['name:exact', list(n, (i) => `Zz${i}`, 'Alpha', 'Gamma')],
        ['name:contains', list(n, (i) => `qq${i}`, 'lph', 'amm')],
        [
          'birthdate',
          list(n, (i) => `1${String(i % 1000).padStart(3, '0')}-02-03`, '1980-01-01', 'ap2000-12-31'),
        ],
        ['_content', list(n, (i) => `zq${i}`, 'alpha', 'gamma')],
      ]),
    ).toEqual(P('pa', 'pc'));
  });

  it('references, uris, :of-type, dates, numbers and composites: 70,000 values each', async () => {
    const some = (make: (i: number) => string, ...extra: string[]) => list(MANY, make, ...extra);
    expect(
      await ids('Patient', [['organization', some((i) => `Organization/x${i}`, 'Organization/org1')]]),
    ).toEqual(P('pa'));
    expect(await ids('Patient', [['organization', some((i) => `x${i}`, 'org2')]])).toEqual(P('pb'));
    expect(
      await ids('Patient', [['_profile', some((i) => `http://e/${i}`, 'http://example.org/sd/a')]]),
    ).toEqual(P('pa'));
    expect(
      await ids('Patient', [['_profile:below', some((i) => `http://e/${i}`, 'http://example.org/sd')]]),
    ).toEqual(P('pa'));
    expect(
      await ids('Patient', [['_profile:above', some((i) => `http://e/${i}/x`, 'http://example.org/sd/a/b')]]),
    ).toEqual(P('pa'));
    expect(
      await ids('Patient', [['organization:identifier', some((i) => `http://orgs|n${i}`, 'http://orgs|O2')]]),
    ).toEqual(P('pb'));
    expect(await ids('Observation', [['code:text', some((i) => `zz${i}`, 'blood')]])).toEqual(O('o2'));
    expect(
      await ids('Patient', [['identifier:of-type', some((i) => `${V2}|MR|n${i}`, `${V2}|MR|A1`)]]),
    ).toEqual(P('pa'));
    expect(
      await ids('Patient', [['birthdate', some((i) => `ne1${String(i % 1000).padStart(3, '0')}-01-01`)]]),
    ).toEqual(P('pa', 'pb', 'pc'));
    expect(await ids('Patient', [['birthdate', some((i) => `eq${1000 + (i % 900)}`, 'eq1990')]])).toEqual(
      P('pb'),
    );
    expect(await ids('Observation', [['value-quantity', some((i) => `${1000 + i}`, '10')]])).toEqual(O('o2'));
    expect(
      await ids('Observation', [
        [
          'code-value-quantity',
          some((i) => `${LOINC}|n${i}$5`, `${LOINC}|c1$5|${UCUM}|mg`, `${SNOMED}|c2$lt1`),
        ],
      ]),
    ).toEqual(O('o1'));
  });
});
