import type { AnyResource } from '@fhirstream/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSearchFixture, type SearchFixture } from './search-fixture.js';

const UCUM = 'http://unitsofmeasure.org';
const LOINC = 'http://loinc.org';

const resources = [
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

let f: SearchFixture;
beforeAll(async () => {
  f = await openSearchFixture();
  await f.load(resources);
});
afterAll(async () => {
  await f.close();
});

const P = (...ids: string[]) => ids.map((id) => `Patient/${id}`).sort();
const O = (...ids: string[]) => ids.map((id) => `Observation/${id}`).sort();

describe('token', () => {
  it('code, system|code, system|, |code', async () => {
    expect(await f.ids('Observation', [['code', '1234-5']])).toEqual(O('obs1', 'obs3', 'obs4'));
    expect(await f.ids('Observation', [['code', `${LOINC}|1234-5`]])).toEqual(O('obs1', 'obs4'));
    expect(await f.ids('Observation', [['code', `${LOINC}|`]])).toEqual(O('obs1', 'obs2', 'obs4'));
    expect(await f.ids('Observation', [['code', '|1234-5']])).toEqual([]);
    expect(await f.ids('Observation', [['code', '9999-9,http://snomed.info/sct|1234-5']])).toEqual(
      O('obs2', 'obs3'),
    );
  });
  it('identifier system|value, value, :of-type', async () => {
    expect(await f.ids('Patient', [['identifier', 'http://ids|111']])).toEqual(P('p1'));
    expect(await f.ids('Patient', [['identifier', '222']])).toEqual(P('p2'));
    expect(await f.ids('Patient', [['identifier', 'http://other|111']])).toEqual([]);
    expect(
      await f.ids('Patient', [
        ['identifier:of-type', 'http://terminology.hl7.org/CodeSystem/v2-0203|MR|111'],
      ]),
    ).toEqual(P('p1'));
  });
  it(':not, :text, :missing, boolean, _id, _tag', async () => {
    expect(await f.ids('Observation', [['status:not', 'final']])).toEqual(O('obs2', 'obs4'));
    expect(await f.ids('Patient', [['gender:not', 'male']])).toEqual(P('p2', 'p4'));
    expect(await f.ids('Observation', [['code:text', 'blood']])).toEqual(O('obs1'));
    expect(await f.ids('Observation', [['code:text', 'pressure']])).toEqual(O('obs1'));
    expect(await f.ids('Observation', [['code:text', 'bp']])).toEqual(O('obs1'));
    expect(await f.ids('Patient', [['gender:missing', 'true']])).toEqual(P('p4'));
    expect(await f.ids('Patient', [['gender:missing', 'false']])).toEqual(P('p1', 'p2', 'p3'));
    expect(await f.ids('Patient', [['active', 'true']])).toEqual(P('p1'));
    expect(await f.ids('Patient', [['_id', 'p1,p3']])).toEqual(P('p1', 'p3'));
    expect(await f.ids('Patient', [['_tag', 'http://tags|vip']])).toEqual(P('p1'));
    expect(
      await f.ids('Patient', [
        ['gender', 'male'],
        ['_id', 'p1'],
      ]),
    ).toEqual(P('p1'));
  });
});

describe('string and uri', () => {
  it('starts-with, accents, :exact, :contains', async () => {
    expect(await f.ids('Patient', [['name', 'smi']])).toEqual(P('p1', 'p3'));
    expect(await f.ids('Patient', [['family', 'Smith']])).toEqual(P('p1', 'p3'));
    expect(await f.ids('Patient', [['family:exact', 'Smith']])).toEqual(P('p1'));
    expect(await f.ids('Patient', [['family:exact', 'smith']])).toEqual([]);
    expect(await f.ids('Patient', [['family:contains', 'ITH']])).toEqual(P('p1', 'p3'));
    expect(await f.ids('Patient', [['name', 'muller']])).toEqual(P('p2'));
    expect(await f.ids('Patient', [['given', 'zoe']])).toEqual(P('p2'));
    expect(await f.ids('Organization', [['name', 'acme']])).toEqual(['Organization/o1']);
  });
  it('uri exact, :below, :above, _profile', async () => {
    expect(await f.ids('ValueSet', [['url', 'http://acme.org/fhir/ValueSet/123']])).toEqual(['ValueSet/vs1']);
    expect(await f.ids('ValueSet', [['url:below', 'http://acme.org/fhir']])).toEqual([
      'ValueSet/vs1',
      'ValueSet/vs2',
    ]);
    expect(await f.ids('ValueSet', [['url:above', 'http://acme.org/fhir/ValueSet/123/_history/5']])).toEqual([
      'ValueSet/vs1',
    ]);
    expect(await f.ids('Patient', [['_profile', 'http://example.org/StructureDefinition/p']])).toEqual(
      P('p1'),
    );
  });
});

describe('date', () => {
  it('precision ranges with every prefix', async () => {
    const b = (v: string) => f.ids('Patient', [['birthdate', v]]);
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
      await f.ids('Patient', [
        ['birthdate', 'ge1980'],
        ['birthdate', 'lt1985'],
      ]),
    ).toEqual(P('p1', 'p3'));
  });
  it('instants, periods and time zones', async () => {
    const d = (v: string) => f.ids('Observation', [['date', v]]);
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
  it('_lastUpdated', async () => {
    expect((await f.ids('Patient', [['_lastUpdated', 'gt2000-01-01']])).length).toBe(4);
    expect(await f.ids('Patient', [['_lastUpdated', 'lt2000']])).toEqual([]);
  });
});

describe('number and quantity', () => {
  it('number prefixes', async () => {
    expect(await f.ids('RiskAssessment', [['probability', '0.8']])).toEqual(['RiskAssessment/ra1']);
    expect(await f.ids('RiskAssessment', [['probability', 'gt0.5']])).toEqual(['RiskAssessment/ra1']);
    expect(await f.ids('RiskAssessment', [['probability', 'lt0.5']])).toEqual(['RiskAssessment/ra2']);
    expect(await f.ids('RiskAssessment', [['probability', 'ap0.26']])).toEqual(['RiskAssessment/ra2']);
    expect(await f.ids('RiskAssessment', [['probability', 'ne0.8']])).toEqual(['RiskAssessment/ra2']);
    expect(await f.ids('RiskAssessment', [['probability', '0.4']])).toEqual([]);
  });
  it('quantity with UCUM canonical units', async () => {
    expect(await f.ids('Observation', [['value-quantity', `5.4|${UCUM}|mg`]])).toEqual(O('obs1', 'obs2'));
    expect(await f.ids('Observation', [['value-quantity', `lt0.01|${UCUM}|g`]])).toEqual(O('obs1', 'obs2'));
    expect(await f.ids('Observation', [['value-quantity', 'gt1']])).toEqual(O('obs1', 'obs3'));
    expect(await f.ids('Observation', [['value-quantity', '100||kg']])).toEqual(O('obs3'));
  });
});

describe('reference, chain, _has', () => {
  it('Type/id, id, :Type, :identifier, :missing', async () => {
    expect(await f.ids('Observation', [['subject', 'Patient/p1']])).toEqual(O('obs1', 'obs2'));
    expect(await f.ids('Observation', [['subject', 'p1']])).toEqual(O('obs1', 'obs2'));
    expect(await f.ids('Observation', [['subject:Patient', 'p1']])).toEqual(O('obs1', 'obs2'));
    expect(await f.ids('Observation', [['patient', 'p2']])).toEqual(O('obs3'));
    expect(await f.ids('Observation', [['subject:identifier', 'http://ids|222']])).toEqual(O('obs4'));
    expect(await f.ids('Observation', [['performer:missing', 'false']])).toEqual(O('obs1'));
    expect(await f.ids('Patient', [['organization', 'Organization/o1']])).toEqual(P('p1'));
  });
  it('chains, typed, untyped and multi-level', async () => {
    expect(await f.ids('Observation', [['subject:Patient.name', 'smith']])).toEqual(O('obs1', 'obs2'));
    expect(await f.ids('Observation', [['subject.family', 'müller']])).toEqual(O('obs3'));
    expect(await f.ids('Observation', [['subject:Patient.organization.name', 'acme']])).toEqual(
      O('obs1', 'obs2'),
    );
    expect(
      await f.ids('Observation', [
        ['subject:Patient.organization.name', 'beta'],
        ['code', '1234-5'],
      ]),
    ).toEqual(O('obs3'));
  });
  it('_has, nested', async () => {
    expect(await f.ids('Patient', [['_has:Observation:patient:code', '1234-5']])).toEqual(P('p1', 'p2'));
    expect(
      await f.ids('Patient', [['_has:Observation:patient:_has:Provenance:target:_id', 'prov1']]),
    ).toEqual(P('p1'));
    expect(await f.ids('Patient', [['_has:Observation:patient:status', 'cancelled']])).toEqual([]);
  });
});

describe('special', () => {
  it('_text, _content, _list', async () => {
    expect(await f.ids('Patient', [['_text', 'cough']])).toEqual(P('p1'));
    expect(await f.ids('Practitioner', [['_content', 'house']])).toEqual(['Practitioner/pr1']);
    expect(await f.ids('Organization', [['_content', 'acme']])).toEqual(['Organization/o1']);
    expect(await f.ids('Patient', [['_list', 'list1']])).toEqual(P('p1', 'p3'));
  });
  it('compartment search', async () => {
    const c = (type: string, id: string) => ({
      compartment: { resourceType: 'Patient', id },
      resourceType: type,
    });
    expect(await f.ids('Observation', [], c('Observation', 'p1'))).toEqual(O('obs1', 'obs2'));
    expect(await f.ids('Observation', [['code', '9999-9']], c('Observation', 'p1'))).toEqual(O('obs2'));
    expect(await f.ids('Observation', [], c('Observation', 'p2'))).toEqual(O('obs3'));
    expect(await f.ids('Patient', [], c('Patient', 'p1'))).toEqual(P('p1', 'p3'));
  });
  it('system search with _type', async () => {
    expect(
      await f.ids(undefined, [
        ['_type', 'Patient,Practitioner'],
        ['name', 'house,brown'],
      ]),
    ).toEqual(['Patient/p4', 'Practitioner/pr1']);
    expect(await f.ids(undefined, [['_id', 'p1,o1']])).toEqual(['Organization/o1', 'Patient/p1']);
  });
});

describe('sort, includes, results', () => {
  const order = async (params: [string, string][]) =>
    (await f.search('Patient', params)).matches.map((m) => m.id);
  it('sorts by one and several keys, descending, missing last', async () => {
    expect(await order([['_sort', 'family']])).toEqual(['p4', 'p2', 'p1', 'p3']);
    expect(await order([['_sort', '-family']])).toEqual(['p3', 'p1', 'p2', 'p4']);
    expect(await order([['_sort', '-birthdate']])).toEqual(['p2', 'p3', 'p1', 'p4']);
    expect(await order([['_sort', 'gender,-birthdate']])).toEqual(['p2', 'p3', 'p1', 'p4']);
    expect(await order([['_sort', '-_id']])).toEqual(['p4', 'p3', 'p2', 'p1']);
  });
  it('_include, :iterate, _revinclude without duplicates', async () => {
    const r = await f.search('Observation', [
      ['_id', 'obs1'],
      ['_include', 'Observation:subject'],
      ['_include:iterate', 'Patient:organization'],
      ['_include:iterate', 'Organization:partof'],
    ]);
    expect(r.matches.map((m) => m.id)).toEqual(['obs1']);
    expect(r.included.map((m) => `${m.resourceType}/${m.id}`).sort()).toEqual([
      'Organization/o1',
      'Organization/o3',
      'Patient/p1',
    ]);
    const shallow = await f.search('Observation', [
      ['_id', 'obs1'],
      ['_include', 'Observation:subject'],
      ['_include', 'Patient:organization'],
    ]);
    expect(shallow.included.map((m) => m.id)).toEqual(['p1']);
    const two = await f.search('Observation', [
      ['subject', 'p1'],
      ['_include', 'Observation:subject'],
      ['_revinclude', 'Provenance:target'],
    ]);
    expect(two.included.map((m) => `${m.resourceType}/${m.id}`).sort()).toEqual([
      'Patient/p1',
      'Provenance/prov1',
    ]);
    const noRepeat = await f.search('Patient', [
      ['_id', 'p1,p3'],
      ['_include', 'Patient:link'],
    ]);
    expect(noRepeat.included).toEqual([]);
    const star = await f.search('Observation', [
      ['_id', 'obs1'],
      ['_include', '*'],
    ]);
    expect(star.included.map((m) => `${m.resourceType}/${m.id}`).sort()).toEqual([
      'Patient/p1',
      'Practitioner/pr1',
    ]);
  });
  it('_total, _summary=count, _count=0', async () => {
    expect((await f.search('Patient', [['_total', 'accurate']])).total).toBe(4);
    expect((await f.search('Patient', [['_total', 'none']])).total).toBeUndefined();
    const count = await f.search('Patient', [['_summary', 'count']]);
    expect(count.matches).toEqual([]);
    expect(count.total).toBe(4);
    const zero = await f.search('Patient', [['_count', '0']]);
    expect(zero.matches).toEqual([]);
    expect(zero.total).toBe(4);
  });
  it('strict rejects and lenient warns on unknown parameters', async () => {
    await expect(f.search('Patient', [['nope', 'x']], { handling: 'strict' })).rejects.toMatchObject({
      code: 'unknown-parameter',
    });
    await expect(f.search('Patient', [['name:nope', 'x']], { handling: 'strict' })).rejects.toMatchObject({
      code: 'unknown-parameter',
    });
    const r = await f.search('Patient', [
      ['nope', 'x'],
      ['gender', 'female'],
    ]);
    expect(r.matches.map((m) => m.id)).toEqual(['p2']);
    expect(r.selfParams).toEqual([['gender', 'female']]);
    expect(r.warnings).toHaveLength(1);
    await expect(f.search('Patient', [['birthdate', 'xx1980']])).rejects.toMatchObject({ code: 'invalid' });
  });
  it('reflects updates and deletes', async () => {
    await f.load([{ resourceType: 'Organization', id: 'o2', name: 'Gamma Clinic' } as AnyResource]);
    expect(await f.ids('Organization', [['name', 'beta']])).toEqual([]);
    expect(await f.ids('Organization', [['name', 'gamma']])).toEqual(['Organization/o2']);
    const { seq } = await f.store.commit([{ op: 'delete', resourceType: 'ValueSet', id: 'vs3' }]);
    await f.runtime.waitFor(seq);
    expect(await f.ids('ValueSet', [])).toEqual(['ValueSet/vs1', 'ValueSet/vs2']);
  });
});
