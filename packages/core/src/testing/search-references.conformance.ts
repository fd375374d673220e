/** The search conformance suite: references. */
import { describe, expect, it } from 'vitest';
import {
  O,
  P,
  refs,
  SEARCH_CONFORMANCE_DATA,
  type SearchConformanceOptions,
  sharedHarness,
} from './search-conformance.fixture.js';

export function describeReferences(options: SearchConformanceOptions): void {
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
    it('_has asked again with no write between: the same answers (an index may then answer from memory)', async () => {
      for (let i = 0; i < 3; i++) {
        expect(await f().ids('Patient', [['_has:Observation:patient:code', '1234-5']])).toEqual(
          P('p1', 'p2'),
        );
        expect(
          await f().ids('Patient', [['_has:Observation:patient:_has:Provenance:target:_id', 'prov1']]),
        ).toEqual(P('p1'));
        // prov1 targets an Observation only: no Patient has it, whatever ids its targets share.
        const none = await f().search('Patient', [
          ['_has:Provenance:target:_id', 'prov1'],
          ['_summary', 'count'],
        ]);
        expect(none.total).toBe(0);
        const observations = await f().search('Observation', [
          ['_has:Provenance:target:_id', 'prov1'],
          ['_summary', 'count'],
        ]);
        expect(observations.total).toBe(1);
      }
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
