import { describe, expect, it } from 'vitest';
import {
  COLORS,
  colors,
  fails,
  GENDER,
  GENDER_VS,
  ok,
  outputs,
  PALETTE,
  palette,
  putAll,
  serverPerTest,
} from './testing/terminology-fixtures.js';

const OBS_STATUS = 'http://hl7.org/fhir/observation-status';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

/**
 * `ValueSet/$validate-code`, `CodeSystem/$lookup` and `CodeSystem/$subsumes`
 * over REST on the real LMDB-backed server.
 */
describe('terminology operations on codes', () => {
  const server = serverPerTest();

  const validate = async (query: string, parameter?: unknown[]) =>
    outputs(await ok(server.client, `/ValueSet/$validate-code${query}`, parameter)).values;

  it('$validate-code: true with the display, false with a message, a wrong display is false', async () => {
    const url = `?url=${GENDER_VS}&system=${GENDER}`;
    expect(await validate(`${url}&code=male`)).toEqual({ result: true, display: 'Male' });
    const missing = await validate(`${url}&code=dog`);
    expect(missing.result).toBe(false);
    expect(missing.message).toContain('dog');
    expect(missing.message).toContain(GENDER_VS);
    expect(await validate(`${url}&code=female&display=female`)).toEqual({ result: true, display: 'Female' });
    const wrong = await validate(`${url}&code=female&display=Male`);
    expect(wrong).toMatchObject({ result: false, display: 'Female' });
    expect(wrong.message).toContain("'Male'");
    const otherSystem = await validate(`?url=${GENDER_VS}&system=http://example.org/other&code=male`);
    expect(otherSystem.result).toBe(false);
    const wrongVersion = await validate(`${url}&code=male&systemVersion=3.0.2`);
    expect(wrongVersion.result).toBe(false);
  });

  it('$validate-code: a coding, a codeableConcept, and a stored ValueSet by instance and by url|version', async () => {
    expect(
      await validate('', [
        { name: 'url', valueUri: GENDER_VS },
        { name: 'coding', valueCoding: { system: GENDER, code: 'other' } },
      ]),
    ).toEqual({ result: true, display: 'Other' });
    const concept = (...codings: unknown[]) => [
      { name: 'url', valueUri: GENDER_VS },
      { name: 'codeableConcept', valueCodeableConcept: { coding: codings } },
    ];
    const either = await validate(
      '',
      concept({ system: 'http://loinc.org', code: '1234-5' }, { system: GENDER, code: 'unknown' }),
    );
    expect(either).toEqual({ result: true, display: 'Unknown' });
    const neither = await validate(
      '',
      concept({ system: GENDER, code: 'cat' }, { system: GENDER, code: 'dog' }),
    );
    expect(neither.result).toBe(false);
    expect(neither.message).toMatch(/cat.*dog/);

    await putAll(server.client, colors, palette('vs-a', '1.0', ['red']), palette('vs-b', '2.0', ['blue']));
    expect((await validate(`?url=${PALETTE}&system=${COLORS}&code=blue`)).result).toBe(true);
    expect((await validate(`?url=${PALETTE}|1.0&system=${COLORS}&code=blue`)).result).toBe(false);
    expect(await validate(`?url=${PALETTE}|1.0&system=${COLORS}&code=red`)).toEqual({
      result: true,
      display: 'Red',
    });
    const instance = outputs(
      await ok(server.client, `/ValueSet/vs-a/$validate-code?system=${COLORS}&code=red`),
    ).values;
    expect(instance.result).toBe(true);
  });

  it('$validate-code: malformed requests are 400, an unknown ValueSet 400 or 404', async () => {
    const url = `/ValueSet/$validate-code?url=${GENDER_VS}`;
    expect((await fails(server.client, `${url}&code=male`, 400)).expression).toEqual(['system']);
    expect((await fails(server.client, url, 400)).code).toBe('invalid');
    expect(
      (
        await fails(server.client, `${url}&system=${GENDER}&code=male`, 400, [
          { name: 'coding', valueCoding: {} },
        ])
      ).code,
    ).toBe('invalid');
    expect((await fails(server.client, `${url}&coding=male`, 400)).code).toBe('invalid');
    const unknown = `/ValueSet/$validate-code?url=http://example.org/missing&system=${GENDER}&code=male`;
    expect((await fails(server.client, unknown, 400)).code).toBe('not-found');
    expect(
      (await fails(server.client, `/ValueSet/nope/$validate-code?system=${GENDER}&code=male`, 404)).code,
    ).toBe('not-found');
  });

  it('$lookup: an official code has the name, version and display of its code system', async () => {
    const male = outputs(await ok(server.client, `/CodeSystem/$lookup?system=${GENDER}&code=male`));
    expect(male.values).toEqual({ name: 'AdministrativeGender', version: '4.0.1', display: 'Male' });
    expect(male.properties).toEqual([]);
    const amb = outputs(await ok(server.client, `/CodeSystem/$lookup?system=${ACT_CODE}&code=AMB`));
    expect(amb.values).toMatchObject({ version: '2018-08-12', display: 'ambulatory' });
    expect(amb.properties).toContainEqual({
      code: 'parent',
      value: '_ActEncounterCode',
      description: 'ActEncounterCode',
    });
    const coding = [{ name: 'coding', valueCoding: { system: OBS_STATUS, code: 'corrected' } }];
    const corrected = outputs(await ok(server.client, '/CodeSystem/$lookup', coding));
    expect(corrected.values.display).toBe('Corrected');
    expect(corrected.properties).toEqual([{ code: 'parent', value: 'amended', description: 'Amended' }]);
  });

  it('$lookup: a stored CodeSystem, with parents and children, only the properties asked for', async () => {
    await putAll(server.client, colors);
    const red = outputs(await ok(server.client, `/CodeSystem/$lookup?system=${COLORS}&code=red`));
    expect(red.values).toEqual({ name: 'Colors', version: '1.0', display: 'Red' });
    expect(red.properties).toEqual([
      { code: 'parent', value: 'warm', description: 'Warm colours' },
      { code: 'child', value: 'crimson', description: 'Crimson red' },
    ]);
    const parentsOnly = outputs(
      await ok(server.client, `/CodeSystem/$lookup?system=${COLORS}&code=red&property=parent`),
    );
    expect(parentsOnly.properties.map((p) => p.code)).toEqual(['parent']);
    const grey = outputs(
      await ok(server.client, `/CodeSystem/$lookup?system=${COLORS}&version=1.0&code=grey`),
    );
    expect(grey.properties).toEqual([{ code: 'inactive', value: true }]);
  });

  it('$lookup: an unknown code or code system is a 404 OperationOutcome, a malformed request a 400', async () => {
    const code = await fails(server.client, `/CodeSystem/$lookup?system=${GENDER}&code=dog`, 404);
    expect(code.code).toBe('not-found');
    expect(code.diagnostics).toContain('dog');
    await putAll(server.client, colors);
    expect((await fails(server.client, `/CodeSystem/$lookup?system=${COLORS}&code=purple`, 404)).code).toBe(
      'not-found',
    );
    expect(
      (await fails(server.client, `/CodeSystem/$lookup?system=${COLORS}&version=2.0&code=red`, 404)).code,
    ).toBe('not-found');
    expect(
      (await fails(server.client, '/CodeSystem/$lookup?system=http://example.org/none&code=a', 404)).code,
    ).toBe('not-found');
    expect((await fails(server.client, '/CodeSystem/$lookup?code=male', 400)).expression).toEqual(['system']);
    expect((await fails(server.client, '/CodeSystem/$lookup', 400)).code).toBe('invalid');
    expect((await fails(server.client, '/CodeSystem/colors/$lookup?code=red', 404)).code).toBe('not-found');
  });

  it('$subsumes: the four outcomes on an official hierarchy, codings, and a stored nested CodeSystem', async () => {
    const outcome = async (query: string, parameter?: unknown[]) =>
      outputs(await ok(server.client, `/CodeSystem${query}`, parameter)).values.outcome;
    const obs = `/$subsumes?system=${OBS_STATUS}`;
    expect(await outcome(`${obs}&codeA=amended&codeB=corrected`)).toBe('subsumes');
    expect(await outcome(`${obs}&codeA=corrected&codeB=amended`)).toBe('subsumed-by');
    expect(await outcome(`${obs}&codeA=final&codeB=amended`)).toBe('not-subsumed');
    expect(await outcome(`${obs}&codeA=final&codeB=final`)).toBe('equivalent');
    expect(await outcome(`/$subsumes?system=${ACT_CODE}&codeA=_ActEncounterCode&codeB=AMB`)).toBe('subsumes');
    const codings = [
      { name: 'codingA', valueCoding: { system: OBS_STATUS, code: 'corrected' } },
      { name: 'codingB', valueCoding: { system: OBS_STATUS, code: 'amended' } },
    ];
    expect(await outcome('/$subsumes', codings)).toBe('subsumed-by');

    await putAll(server.client, colors);
    expect(await outcome(`/$subsumes?system=${COLORS}&codeA=warm&codeB=crimson`)).toBe('subsumes');
    expect(await outcome(`/$subsumes?system=${COLORS}&codeA=crimson&codeB=warm`)).toBe('subsumed-by');
    expect(await outcome(`/$subsumes?system=${COLORS}&codeA=crimson&codeB=blue`)).toBe('not-subsumed');
    expect(await outcome('/colors/$subsumes?codeA=cool&codeB=blue')).toBe('subsumes');
  });

  it('$subsumes: an unknown hierarchy is 400 not-supported, an unknown code 400 invalid', async () => {
    const sct = '/CodeSystem/$subsumes?system=http://snomed.info/sct&codeA=1&codeB=2';
    expect((await fails(server.client, sct, 400)).code).toBe('not-supported');
    await putAll(server.client, {
      ...colors,
      id: 'fragment',
      url: 'http://example.org/fhir/CodeSystem/f',
      content: 'fragment',
    });
    const fragment = '/CodeSystem/$subsumes?system=http://example.org/fhir/CodeSystem/f&codeA=warm&codeB=red';
    expect((await fails(server.client, fragment, 400)).code).toBe('not-supported');
    expect(
      (await fails(server.client, '/CodeSystem/fragment/$subsumes?codeA=warm&codeB=red', 400)).code,
    ).toBe('not-supported');
    const unknownCode = await fails(
      server.client,
      `/CodeSystem/$subsumes?system=${OBS_STATUS}&codeA=final&codeB=nope`,
      400,
    );
    expect([unknownCode.code, unknownCode.expression]).toEqual(['invalid', ['codeB']]);
    const twoSystems = [
      { name: 'codingA', valueCoding: { system: OBS_STATUS, code: 'final' } },
      { name: 'codingB', valueCoding: { system: GENDER, code: 'male' } },
    ];
    expect((await fails(server.client, '/CodeSystem/$subsumes', 400, twoSystems)).code).toBe('not-supported');
    expect(
      (await fails(server.client, `/CodeSystem/$subsumes?system=${OBS_STATUS}&codeA=final`, 400)).code,
    ).toBe('invalid');
    expect((await fails(server.client, '/CodeSystem/$subsumes?codeA=final&codeB=final', 400)).code).toBe(
      'invalid',
    );
    expect((await fails(server.client, '/CodeSystem/none/$subsumes?codeA=a&codeB=b', 404)).code).toBe(
      'not-found',
    );
  });
});
