/** The search conformance suite: composite parameters (R4 search.html#composite). */
import { describe, expect, it } from 'vitest';
import type { AnyResource } from '../store/types.js';
import { LOINC, type SearchConformanceOptions, sharedHarness, UCUM } from './search-conformance.fixture.js';

const SNOMED = 'http://snomed.info/sct';
const EX = 'http://example.org/codes';
const loinc = (code: string) => ({ coding: [{ system: LOINC, code }] });
const mmHg = (value: number) => ({ value, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' });

/** Observations with repeating components, quantities in different units, coded, dated and string values. */
export const COMPOSITE_CONFORMANCE_DATA = [
  {
    resourceType: 'Observation',
    id: 'bp1',
    status: 'final',
    code: loinc('85354-9'),
    component: [
      { code: loinc('8480-6'), valueQuantity: mmHg(120) },
      { code: loinc('8462-4'), valueQuantity: mmHg(80) },
    ],
  },
  {
    resourceType: 'Observation',
    id: 'bp2',
    status: 'final',
    code: loinc('85354-9'),
    component: [
      { code: loinc('8480-6'), valueQuantity: mmHg(150) },
      { code: loinc('8462-4'), valueQuantity: mmHg(95) },
    ],
  },
  {
    resourceType: 'Observation',
    id: 'h1',
    status: 'final',
    code: loinc('8302-2'),
    valueQuantity: { value: 180, unit: 'cm', system: UCUM, code: 'cm' },
  },
  {
    resourceType: 'Observation',
    id: 'h2',
    status: 'final',
    code: loinc('8302-2'),
    valueQuantity: { value: 1.6, unit: 'm', system: UCUM, code: 'm' },
  },
  {
    resourceType: 'Observation',
    id: 'h3',
    status: 'final',
    code: loinc('8302-2'),
    valueQuantity: { value: 150, unit: 'cm', system: UCUM, code: 'cm' },
  },
  {
    resourceType: 'Observation',
    id: 'c1',
    status: 'final',
    code: loinc('72166-2'),
    valueCodeableConcept: { coding: [{ system: SNOMED, code: '266919005' }] },
  },
  {
    resourceType: 'Observation',
    id: 'c2',
    status: 'final',
    code: loinc('72166-2'),
    valueCodeableConcept: { coding: [{ system: SNOMED, code: '449868002' }] },
  },
  {
    resourceType: 'Observation',
    id: 'd1',
    status: 'final',
    code: { coding: [{ system: EX, code: 'onset' }] },
    valueDateTime: '2020-03-01',
  },
  {
    resourceType: 'Observation',
    id: 's1',
    status: 'final',
    code: { coding: [{ system: EX, code: 'note' }] },
    valueString: 'Hello World',
  },
] as AnyResource[];

const O = (...ids: string[]) => ids.map((id) => `Observation/${id}`).sort();

export function describeComposites(options: SearchConformanceOptions): void {
  describe('composite parameters', () => {
    const f = sharedHarness(options, COMPOSITE_CONFORMANCE_DATA);
    const cq = (code: string, ...values: string[]) =>
      f().ids(
        'Observation',
        values.map((v) => [code, v]),
      );

    it('match only within one repetition (the same component)', async () => {
      const c = 'component-code-value-quantity';
      expect(await cq(c, `${LOINC}|8480-6$120`)).toEqual(O('bp1'));
      expect(await cq(c, `${LOINC}|8462-4$80`)).toEqual(O('bp1'));
      // bp1 has systolic 120 and diastolic 80: systolic 80 pairs the code of one component with the value of the other.
      expect(await cq(c, `${LOINC}|8480-6$80`)).toEqual([]);
      expect(await cq(c, `${LOINC}|8462-4$120`)).toEqual([]);
      expect(await cq(c, `${LOINC}|8480-6$gt130|${UCUM}|mm[Hg]`)).toEqual(O('bp2'));
      expect(await cq(c, `8462-4$ge80`)).toEqual(O('bp1', 'bp2'));
      expect(await cq(c, `8462-4$lt95|${UCUM}|mm[Hg]`)).toEqual(O('bp1'));
      expect(await cq('combo-code-value-quantity', `8480-6$150`)).toEqual(O('bp2'));
      expect(await cq('combo-code-value-quantity', `8302-2$180`)).toEqual(O('h1'));
    });

    it('prefixes and units on the quantity component (UCUM canonical)', async () => {
      const c = 'code-value-quantity';
      expect(await cq(c, `${LOINC}|8302-2$gt150|${UCUM}|cm`)).toEqual(O('h1', 'h2'));
      expect(await cq(c, `${LOINC}|8302-2$ge150|${UCUM}|cm`)).toEqual(O('h1', 'h2', 'h3'));
      expect(await cq(c, `${LOINC}|8302-2$lt1.7|${UCUM}|m`)).toEqual(O('h2', 'h3'));
      expect(await cq(c, `${LOINC}|8302-2$ne150|${UCUM}|cm`)).toEqual(O('h1', 'h2'));
      expect(await cq(c, `${LOINC}|8302-2$150`)).toEqual(O('h3'));
      expect(await cq(c, `${LOINC}|8302-2$150||cm`)).toEqual(O('h3'));
      expect(await cq(c, `8302-2$gt170`)).toEqual(O('h1'));
      expect(await cq(c, `${LOINC}|$le160|${UCUM}|cm`)).toEqual(O('h2', 'h3'));
      expect(await cq(c, `|8302-2$gt0`)).toEqual([]);
      expect(await cq(c, `${LOINC}|9999-9$gt0`)).toEqual([]);
      expect(await cq(c, `${LOINC}|8302-2$gt150|${UCUM}|kg`)).toEqual([]);
    });

    it('token-only composites (code-value-concept)', async () => {
      const c = 'code-value-concept';
      expect(await cq(c, `${LOINC}|72166-2$${SNOMED}|266919005`)).toEqual(O('c1'));
      expect(await cq(c, `72166-2$449868002`)).toEqual(O('c2'));
      expect(await cq(c, `72166-2$${SNOMED}|`)).toEqual(O('c1', 'c2'));
      expect(await cq(c, `72166-2$${LOINC}|449868002`)).toEqual([]);
      expect(await cq(c, `8302-2$266919005`)).toEqual([]);
    });

    it('date and string components', async () => {
      expect(await cq('code-value-date', `${EX}|onset$2020-03`)).toEqual(O('d1'));
      expect(await cq('code-value-date', `onset$ge2020-03-01`)).toEqual(O('d1'));
      expect(await cq('code-value-date', `onset$lt2020`)).toEqual([]);
      expect(await cq('code-value-date', `note$2020-03`)).toEqual([]);
      expect(await cq('code-value-string', `note$hel`)).toEqual(O('s1'));
      expect(await cq('code-value-string', `note$world`)).toEqual([]);
    });

    it('comma is OR, repetition is AND', async () => {
      const c = 'component-code-value-quantity';
      expect(await cq(c, `8480-6$120,8462-4$95`)).toEqual(O('bp1', 'bp2'));
      expect(await cq('code-value-concept', `72166-2$266919005,72166-2$449868002`)).toEqual(O('c1', 'c2'));
      expect(await cq(c, `8480-6$gt100`, `8462-4$lt90`)).toEqual(O('bp1'));
      expect(await cq(c, `8480-6$gt130`, `8462-4$lt90`)).toEqual([]);
      expect(
        await f().ids('Observation', [
          [c, '8480-6$gt100'],
          ['code', '85354-9'],
        ]),
      ).toEqual(O('bp1', 'bp2'));
    });

    it(':missing', async () => {
      const c = 'component-code-value-quantity';
      expect(await cq(`${c}:missing`, 'false')).toEqual(O('bp1', 'bp2'));
      expect(await cq(`${c}:missing`, 'true')).toEqual(O('h1', 'h2', 'h3', 'c1', 'c2', 'd1', 's1'));
      expect(await cq('code-value-quantity:missing', 'false')).toEqual(O('h1', 'h2', 'h3'));
    });

    it('rejects malformed and unknown composites, and lists the supported ones', async () => {
      const strict = { handling: 'strict' as const };
      for (const bad of ['8302-2', '8302-2$150$1', '8302-2$xx150', '8302-2$', '$150'])
        await expect(f().search('Observation', [['code-value-quantity', bad]], strict)).rejects.toMatchObject(
          { code: 'invalid', status: 400 },
        );
      await expect(
        f().search('Observation', [['code-value-nope', '8302-2$150']], strict),
      ).rejects.toMatchObject({ code: 'unknown-parameter', status: 400 });
      await expect(
        f().search('Observation', [['code-value-quantity:exact', '8302-2$150']], strict),
      ).rejects.toMatchObject({ code: 'unknown-parameter', status: 400 });
      const params = f().fixture.search.parametersFor('Observation');
      expect(params).toContainEqual(
        expect.objectContaining({ name: 'code-value-quantity', type: 'composite' }),
      );
      expect(params).toContainEqual(
        expect.objectContaining({ name: 'component-code-value-concept', type: 'composite' }),
      );
    });
  });
}
