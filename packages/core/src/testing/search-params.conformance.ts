/** The search conformance suite: parameter types. */
import { describe, expect, it } from 'vitest';
import {
  LOINC,
  O,
  P,
  SEARCH_CONFORMANCE_DATA,
  type SearchConformanceOptions,
  sharedHarness,
  UCUM,
} from './search-conformance.fixture.js';

export function describeParameterTypes(options: SearchConformanceOptions): void {
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
      // ge / le: some part of the value at or after the start (at or before the end) of the search range.
      expect(await b('ge1980-05-31')).toEqual(P('p2', 'p3'));
      expect(await b('gt1980-05-30')).toEqual(P('p2', 'p3'));
      expect(await b('le1980-05-01')).toEqual(P('p3'));
      expect(await b('le1980-04-30')).toEqual([]);
      expect(await b('ge1990-12-31')).toEqual(P('p2'));
      expect(await b('ge1991')).toEqual([]);
      expect(await b('lt1980-05-02')).toEqual(P('p3'));
      expect(await b('eb1980-05-31')).toEqual(P('p1'));
      expect(await b('sa1980-04-30')).toEqual(P('p1', 'p2', 'p3'));
      expect(await b('ne1980-05-15')).toEqual(P('p2', 'p3'));
      expect(await b('1980-05-15T12:00')).toEqual([]);
      expect(await b('gt1980-05-15T23:59:59.999Z')).toEqual(P('p2', 'p3'));
      expect(await b('ge1980-05-15T23:59:59.999Z')).toEqual(P('p1', 'p2', 'p3'));
      expect(await b('lt1980-05-15T00:00:00.000Z')).toEqual(P('p3'));
      expect(await b('le1990-01-01')).toEqual(P('p1', 'p2', 'p3'));
      expect(await b('le1989-12-31')).toEqual(P('p1', 'p3'));
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
