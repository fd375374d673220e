import { describe, expect, it } from 'vitest';
import { getPrimitiveType, primitiveTypeNames } from '../definitions/index.js';
import { isBase64, isRealDay, officialRegex, primitiveCheck } from './primitive-checks.js';

describe('official regexes (JS translation)', () => {
  it('compiles every primitive regex', () => {
    for (const name of primitiveTypeNames()) {
      const def = getPrimitiveType(name)!;
      if (def.regex === undefined) continue;
      expect(() => officialRegex(name), name).not.toThrow();
    }
  });

  const cases: Record<string, { ok: string[]; bad: string[] }> = {
    id: { ok: ['a', 'A-1.b', 'x'.repeat(64)], bad: ['', 'a_b', 'a b', 'x'.repeat(65)] },
    code: { ok: ['a', 'a b', 'CHEST\u00a0'], bad: ['', ' a', 'a ', 'a  b', 'a\tb\t'] },
    date: { ok: ['2020', '2020-01', '2020-01-31'], bad: ['20', '2020-1', '2020-01-32', '0000'] },
    dateTime: {
      ok: ['2020', '2020-01-01T00:00:00Z', '2020-01-01T23:59:60.123-14:00'.replace('-14', '+14')],
      bad: ['2020-01-01T00:00Z', '2020-01-01T00:00:00', '2020-01-01T00:00:00+15:00'],
    },
    instant: {
      ok: ['2020-01-01T00:00:00Z', '2020-01-01T00:00:00.1+01:00'],
      bad: ['2020-01-01', '2020-01-01T00:00'],
    },
    time: { ok: ['00:00:00', '23:59:59.999'], bad: ['24:00:00', '1:00:00', '10:00'] },
    uri: { ok: ['urn:x', 'http://a/b?c=d'], bad: ['a b'] },
    oid: { ok: ['urn:oid:1.2.840.10008'], bad: ['urn:oid:3.1', 'urn:oid:1.02', '1.2.3'] },
    uuid: {
      ok: ['urn:uuid:c757873d-ec9a-4326-a141-556f43239520'],
      bad: ['urn:uuid:C757873D-EC9A-4326-A141-556F43239520'],
    },
    string: { ok: ['a', ' ', 'line\r\nbreak\ttab', 'nbsp\u00a0', 'ls\u2028'], bad: ['', 'ff\f', 'vt\u000b'] },
    decimal: { ok: ['0', '-1.50', '1e10'], bad: ['01', '.5', '1.'] },
    integer: { ok: ['0', '-12'], bad: ['01', '1.0'] },
    positiveInt: { ok: ['1', '10'], bad: ['0', '-1'] },
    unsignedInt: { ok: ['0', '10'], bad: ['-1', '01'] },
    base64Binary: { ok: ['aGVsbG8=', 'aGVs bG8/'], bad: ['abc', 'ab$='] },
  };
  for (const [type, { ok, bad }] of Object.entries(cases)) {
    it(`matches ${type}`, () => {
      const re = officialRegex(type)!;
      for (const v of ok) expect(re.test(v), `${type} ${JSON.stringify(v)}`).toBe(true);
      for (const v of bad) expect(re.test(v), `${type} ${JSON.stringify(v)}`).toBe(false);
    });
  }
});

describe('isBase64', () => {
  it('agrees with the official base64Binary regex', () => {
    const re = officialRegex('base64Binary')!;
    const samples = [
      'aGVsbG8=',
      'aGVs bG8/',
      ' aGVs\nbG8= ',
      'abc',
      'ab cd',
      'ab$=',
      'abcd abcd e',
      '====',
      'a+/=',
    ];
    for (const s of samples) expect(isBase64(s), JSON.stringify(s)).toBe(re.test(s));
  });

  it('handles large attachments quickly', () => {
    const big = Buffer.alloc(3_000_000, 7).toString('base64');
    expect(isBase64(big)).toBe(true);
  });
});

describe('isRealDay', () => {
  it('knows month lengths and leap years', () => {
    expect(isRealDay('2024-02-29')).toBe(true);
    expect(isRealDay('2023-02-29')).toBe(false);
    expect(isRealDay('2000-02-29')).toBe(true);
    expect(isRealDay('2100-02-29')).toBe(false);
    expect(isRealDay('2023-04-31')).toBe(false);
    expect(isRealDay('2023-12-31T10:00:00Z')).toBe(true);
  });
});

describe('primitiveCheck', () => {
  it('reports wrong JSON types separately from bad values', () => {
    expect(primitiveCheck('boolean')('true')).toMatchObject({ wrongJsonType: true });
    expect(primitiveCheck('date')('2023-02-30')).toMatchObject({ wrongJsonType: false });
    expect(primitiveCheck('decimal')(Number.POSITIVE_INFINITY)).toMatchObject({ wrongJsonType: false });
    expect(primitiveCheck('xhtml')('<div xmlns="http://www.w3.org/1999/xhtml">x</div>')).toBeUndefined();
    expect(primitiveCheck('xhtml')('')).toMatchObject({ wrongJsonType: false });
  });
});
