import { describe, expect, it } from 'vitest';
import { validateResource } from './validate-resource.js';

/** The issues as `code expression` strings, for compact assertions. */
function problems(resource: unknown): string[] {
  return validateResource(resource).map((i) => `${i.code} ${i.expression.join(',')}`);
}

const patient = (extra: Record<string, unknown>) => ({ resourceType: 'Patient', ...extra });
const ext = (value: Record<string, unknown>) =>
  patient({ extension: [{ url: 'http://example.org/e', ...value }] });

describe('JSON types of primitives', () => {
  it('requires strings for string-like types', () => {
    expect(problems(patient({ birthDate: 20230101 }))).toEqual(['structure Patient.birthDate']);
    expect(problems(patient({ name: [{ family: 42 }] }))).toEqual(['structure Patient.name[0].family']);
    expect(problems(patient({ birthDate: '2023-01-01' }))).toEqual([]);
  });

  it('requires JSON booleans', () => {
    expect(problems(patient({ active: 'true' }))).toEqual(['structure Patient.active']);
    expect(problems(patient({ active: 1 }))).toEqual(['structure Patient.active']);
    expect(problems(patient({ active: false }))).toEqual([]);
  });

  it('requires JSON numbers for decimals', () => {
    expect(problems(ext({ valueQuantity: { value: '1.5' } }))).toEqual([
      'structure Patient.extension[0].valueQuantity.value',
    ]);
    expect(problems(ext({ valueDecimal: 1.5 }))).toEqual([]);
    expect(problems(ext({ valueDecimal: -3e-7 }))).toEqual([]);
  });

  it('checks integer, positiveInt and unsignedInt ranges', () => {
    expect(problems(patient({ multipleBirthInteger: 1.5 }))).toEqual(['value Patient.multipleBirthInteger']);
    expect(problems(patient({ multipleBirthInteger: 2 ** 31 }))).toEqual([
      'value Patient.multipleBirthInteger',
    ]);
    expect(problems(patient({ multipleBirthInteger: '2' }))).toEqual([
      'structure Patient.multipleBirthInteger',
    ]);
    expect(problems(patient({ multipleBirthInteger: -2147483648 }))).toEqual([]);
    expect(problems(patient({ photo: [{ size: -1 }] }))).toEqual(['value Patient.photo[0].size']);
    expect(problems(patient({ photo: [{ size: 0 }] }))).toEqual([]);
    expect(problems(ext({ valuePositiveInt: 0 }))).toEqual(['value Patient.extension[0].valuePositiveInt']);
    expect(problems(ext({ valuePositiveInt: 1 }))).toEqual([]);
  });
});

describe('primitive formats', () => {
  it('checks dates, including real calendar days', () => {
    expect(problems(patient({ birthDate: '2023-02-30' }))).toEqual(['value Patient.birthDate']);
    expect(problems(patient({ birthDate: '2023-02-29' }))).toEqual(['value Patient.birthDate']);
    expect(problems(patient({ birthDate: '1900-02-29' }))).toEqual(['value Patient.birthDate']);
    expect(problems(patient({ birthDate: '2023-04-31' }))).toEqual(['value Patient.birthDate']);
    expect(problems(patient({ birthDate: '2023-13' }))).toEqual(['value Patient.birthDate']);
    expect(problems(patient({ birthDate: '2023-1-01' }))).toEqual(['value Patient.birthDate']);
    for (const ok of ['2024-02-29', '2000-02-29', '2023-12-31', '2023-02', '2023']) {
      expect(problems(patient({ birthDate: ok }))).toEqual([]);
    }
  });

  it('checks dateTimes', () => {
    expect(problems(patient({ deceasedDateTime: '2023-02-30T10:00:00Z' }))).toEqual([
      'value Patient.deceasedDateTime',
    ]);
    expect(problems(patient({ deceasedDateTime: '2023-01-01T10:00:00' }))).toEqual([
      'value Patient.deceasedDateTime',
    ]);
    expect(problems(patient({ deceasedDateTime: '2023-01-01T25:00:00Z' }))).toEqual([
      'value Patient.deceasedDateTime',
    ]);
    expect(problems(patient({ deceasedDateTime: '2023-01-01T10:00:00.123+05:30' }))).toEqual([]);
    expect(problems(patient({ deceasedDateTime: '2023-01' }))).toEqual([]);
  });

  it('checks instants (full precision with time zone)', () => {
    const meta = (lastUpdated: string) => patient({ meta: { lastUpdated } });
    expect(problems(meta('2023-01-01'))).toEqual(['value Patient.meta.lastUpdated']);
    expect(problems(meta('2023-01-01T10:00:00'))).toEqual(['value Patient.meta.lastUpdated']);
    expect(problems(meta('2023-01-01T10:00:00.5Z'))).toEqual([]);
  });

  it('checks times', () => {
    const hours = (openingTime: string) => ({
      resourceType: 'Location',
      hoursOfOperation: [{ openingTime }],
    });
    expect(problems(hours('9:00'))).toEqual(['value Location.hoursOfOperation[0].openingTime']);
    expect(problems(hours('24:00:00'))).toEqual(['value Location.hoursOfOperation[0].openingTime']);
    expect(problems(hours('09:00:00'))).toEqual([]);
  });

  it('checks codes', () => {
    expect(problems(ext({ valueCode: 'a  b' }))).toEqual(['value Patient.extension[0].valueCode']);
    expect(problems(ext({ valueCode: ' a' }))).toEqual(['value Patient.extension[0].valueCode']);
    expect(problems(ext({ valueCode: 'a b' }))).toEqual([]);
  });

  it('checks uris, urls and canonicals', () => {
    expect(problems(patient({ implicitRules: 'http://x y' }))).toEqual(['value Patient.implicitRules']);
    expect(problems(patient({ implicitRules: 'http://example.org/rules' }))).toEqual([]);
    expect(problems(patient({ meta: { profile: ['http://x/ y'] } }))).toEqual([
      'value Patient.meta.profile[0]',
    ]);
  });

  it('checks oids and uuids', () => {
    expect(problems(ext({ valueOid: '1.2.3' }))).toEqual(['value Patient.extension[0].valueOid']);
    expect(problems(ext({ valueOid: 'urn:oid:1.2.3' }))).toEqual([]);
    expect(problems(ext({ valueUuid: 'urn:uuid:ABC' }))).toEqual(['value Patient.extension[0].valueUuid']);
    expect(problems(ext({ valueUuid: 'urn:uuid:c757873d-ec9a-4326-a141-556f43239520' }))).toEqual([]);
  });

  it('checks base64Binary', () => {
    expect(problems(patient({ photo: [{ data: 'abc' }] }))).toEqual(['value Patient.photo[0].data']);
    expect(problems(patient({ photo: [{ data: 'ab$=' }] }))).toEqual(['value Patient.photo[0].data']);
    expect(problems(patient({ photo: [{ data: 'aGVs bG8/' }] }))).toEqual([]);
  });

  it('checks strings and markdown (no-break spaces are fine, form feeds are not)', () => {
    expect(problems(patient({ name: [{ text: 'a\fb' }] }))).toEqual(['value Patient.name[0].text']);
    expect(problems(patient({ name: [{ text: 'Dr\u00a0Who\nline 2' }] }))).toEqual([]);
  });
});
