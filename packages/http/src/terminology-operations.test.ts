import { describe, expect, it } from 'vitest';
import type { CapabilityStatement } from './testing/fhir-types.js';
import {
  COLORS,
  colors,
  type Expanded,
  fails,
  GENDER,
  GENDER_VS,
  ok,
  PALETTE,
  palette,
  putAll,
  serverPerTest,
} from './testing/terminology-fixtures.js';

const RACE_VS = 'http://terminology.hl7.org/ValueSet/v3-Race';
const codes = (vs: Expanded) => (vs.expansion.contains ?? []).map((c) => c.code);

/** `ValueSet/$expand` over REST on the real LMDB-backed server. */
describe('ValueSet/$expand', () => {
  const server = serverPerTest();

  it('an official ValueSet: administrative-gender has its 4 codes with system, version and display', async () => {
    const vs = await ok<Expanded>(server.client, `/ValueSet/$expand?url=${GENDER_VS}`);
    expect(vs).toMatchObject({
      resourceType: 'ValueSet',
      url: GENDER_VS,
      version: '4.0.1',
      status: 'active',
    });
    expect(vs.expansion.identifier).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(vs.expansion.timestamp))).toBe(false);
    expect(vs.expansion.total).toBe(4);
    expect(vs.expansion.contains).toEqual(
      [
        ['male', 'Male'],
        ['female', 'Female'],
        ['other', 'Other'],
        ['unknown', 'Unknown'],
      ].map(([code, display]) => ({ system: GENDER, version: '4.0.1', code, display })),
    );
  });

  it('filter matches the starts of words of the display or code, ignoring case; count and offset page it', async () => {
    const whole = await ok<Expanded>(server.client, `/ValueSet/$expand?url=${RACE_VS}`);
    expect(whole.expansion.total).toBe(921);
    const filtered = await ok<Expanded>(server.client, `/ValueSet/$expand?url=${RACE_VS}&filter=APACH`);
    const apache = filtered.expansion.contains ?? [];
    expect(filtered.expansion.total).toBe(10);
    expect(apache).toHaveLength(10);
    for (const c of apache) expect(c.display).toMatch(/\bApache\b/);
    expect(apache.map((c) => c.code)).toContain('1010-8');
    // Not a substring match: "pache" starts no word.
    expect(
      (await ok<Expanded>(server.client, `/ValueSet/$expand?url=${RACE_VS}&filter=pache`)).expansion.total,
    ).toBe(0);
    // Every word must match: "white mountain apache".
    const two = await ok<Expanded>(server.client, `/ValueSet/$expand?url=${RACE_VS}&filter=mountain%20apa`);
    expect((two.expansion.contains ?? []).map((c) => c.display)).toEqual(['White Mountain Apache']);

    const page = await ok<Expanded>(
      server.client,
      `/ValueSet/$expand?url=${RACE_VS}&filter=apach&offset=2&count=3`,
    );
    expect(page.expansion).toMatchObject({ total: 10, offset: 2 });
    expect(page.expansion.contains).toEqual(apache.slice(2, 5));
    expect(page.expansion.parameter).toEqual(
      expect.arrayContaining([
        { name: 'filter', valueString: 'apach' },
        { name: 'offset', valueInteger: 2 },
        { name: 'count', valueInteger: 3 },
      ]),
    );
    const last = await ok<Expanded>(
      server.client,
      `/ValueSet/$expand?url=${RACE_VS}&filter=apach&offset=8&count=5`,
    );
    expect(last.expansion.contains).toEqual(apache.slice(8));
    const size = await ok<Expanded>(server.client, `/ValueSet/$expand?url=${RACE_VS}&filter=apach&count=0`);
    expect(size.expansion.total).toBe(10);
    expect(size.expansion.contains).toBeUndefined();
    const beyond = await ok<Expanded>(server.client, `/ValueSet/$expand?url=${RACE_VS}&offset=5000`);
    expect([beyond.expansion.total, beyond.expansion.contains]).toEqual([921, undefined]);
  });

  it('a stored ValueSet by instance, by url (the highest version) and by url with a version', async () => {
    await putAll(
      server.client,
      colors,
      palette('vs-a', '1.0', ['red']),
      palette('vs-b', '2.0', ['blue', 'orange']),
    );
    const v2 = [
      { system: COLORS, version: '1.0', code: 'blue', display: 'Blue' },
      { system: COLORS, version: '1.0', code: 'orange', display: 'Orange' },
    ];
    const byUrl = await ok<Expanded>(server.client, `/ValueSet/$expand?url=${PALETTE}`);
    expect(byUrl).toMatchObject({ id: 'vs-b', url: PALETTE, version: '2.0', name: 'Palette20' });
    expect(byUrl.compose).toBeUndefined();
    expect(byUrl.expansion.contains).toEqual(v2);
    const v1 = await ok<Expanded>(server.client, `/ValueSet/$expand?url=${PALETTE}&valueSetVersion=1.0`);
    expect([v1.version, codes(v1)]).toEqual(['1.0', ['red']]);
    expect(codes(await ok<Expanded>(server.client, `/ValueSet/$expand?url=${PALETTE}|1.0`))).toEqual(['red']);
    const instance = await ok<Expanded>(server.client, '/ValueSet/vs-a/$expand');
    expect([instance.id, codes(instance)]).toEqual(['vs-a', ['red']]);
    const withDefinition = await ok<Expanded>(server.client, '/ValueSet/vs-a/$expand?includeDefinition=true');
    expect(withDefinition.compose).toEqual(palette('vs-a', '1.0', ['red']).compose);
    const unknownVersion = await fails(
      server.client,
      `/ValueSet/$expand?url=${PALETTE}&valueSetVersion=9.9`,
      400,
    );
    expect(unknownVersion.code).toBe('not-found');
    expect(unknownVersion.diagnostics).toContain(`${PALETTE}|9.9`);
  });

  it('a whole stored CodeSystem, an is-a filter, and activeOnly dropping the retired code', async () => {
    await putAll(server.client, colors, {
      resourceType: 'ValueSet',
      id: 'all-colors',
      url: 'http://example.org/fhir/ValueSet/all-colors',
      status: 'active',
      compose: { include: [{ system: COLORS }] },
    });
    const all = await ok<Expanded>(server.client, '/ValueSet/all-colors/$expand');
    expect(codes(all)).toEqual(['warm', 'red', 'crimson', 'orange', 'cool', 'blue', 'grey']);
    expect(all.expansion.contains!.find((c) => c.code === 'grey')).toMatchObject({ inactive: true });
    const active = await ok<Expanded>(server.client, '/ValueSet/all-colors/$expand?activeOnly=true');
    expect(active.expansion.total).toBe(6);
    expect(codes(active)).not.toContain('grey');
    // filter on the display's words: "red" matches Red and "Crimson red", not "Warm colours".
    expect(codes(await ok<Expanded>(server.client, '/ValueSet/all-colors/$expand?filter=red'))).toEqual([
      'red',
      'crimson',
    ]);
  });

  it('POST with a valueSet resource: its own displays win, its is-a filter reads the stored CodeSystem', async () => {
    await putAll(server.client, colors);
    const inline = {
      resourceType: 'ValueSet',
      status: 'draft',
      compose: {
        include: [
          { system: GENDER, concept: [{ code: 'female', display: 'Woman' }] },
          { system: COLORS, filter: [{ property: 'concept', op: 'is-a', value: 'warm' }] },
        ],
        exclude: [{ system: COLORS, concept: [{ code: 'orange' }] }],
      },
    };
    const vs = await ok<Expanded>(server.client, '/ValueSet/$expand', [
      { name: 'valueSet', resource: inline },
      { name: 'count', valueInteger: 3 },
    ]);
    expect(vs.status).toBe('draft');
    expect(vs.expansion.total).toBe(4);
    expect(vs.expansion.contains).toEqual([
      { system: GENDER, version: '4.0.1', code: 'female', display: 'Woman' },
      { system: COLORS, version: '1.0', code: 'warm', display: 'Warm colours' },
      { system: COLORS, version: '1.0', code: 'red', display: 'Red' },
    ]);
  });

  it('errors are 4xx OperationOutcomes: unknown url or instance, too costly, not expandable, bad parameters', async () => {
    const unknown = await fails(
      server.client,
      '/ValueSet/$expand?url=http://example.org/fhir/ValueSet/missing',
      400,
    );
    expect([unknown.code, unknown.expression]).toEqual(['not-found', ['url']]);
    expect((await fails(server.client, '/ValueSet/missing/$expand', 404)).code).toBe('not-found');
    const costly = await fails(
      server.client,
      '/ValueSet/$expand?url=http://hl7.org/fhir/ValueSet/c80-doc-typecodes',
      400,
    );
    expect(costly.code).toBe('too-costly');
    const snomed = {
      resourceType: 'ValueSet',
      status: 'active',
      compose: { include: [{ system: 'http://snomed.info/sct' }] },
    };
    expect(
      (await fails(server.client, '/ValueSet/$expand', 400, [{ name: 'valueSet', resource: snomed }])).code,
    ).toBe('not-supported');
    const bad: Array<[string, string]> = [
      ['/ValueSet/$expand', 'invalid'],
      [`/ValueSet/$expand?url=${GENDER_VS}&count=-1`, 'invalid'],
      [`/ValueSet/$expand?url=${GENDER_VS}&offset=x`, 'invalid'],
      [`/ValueSet/$expand?url=${GENDER_VS}&activeOnly=yes`, 'invalid'],
      [`/ValueSet/$expand?url=${GENDER_VS}&url=${GENDER_VS}`, 'invalid'],
      [`/ValueSet/$expand?url=${GENDER_VS}|4.0.1&valueSetVersion=3.0.2`, 'invalid'],
      [`/ValueSet/$expand?url=${GENDER_VS}&context=http://x`, 'not-supported'],
      ['/ValueSet/$expand?valueSetVersion=1.0', 'invalid'],
      [`/ValueSet/some-id/$expand?url=${GENDER_VS}`, 'invalid'],
    ];
    for (const [path, code] of bad) expect((await fails(server.client, path, 400)).code, path).toBe(code);
    const both = [
      { name: 'url', valueUri: GENDER_VS },
      { name: 'valueSet', resource: snomed },
    ];
    expect((await fails(server.client, '/ValueSet/$expand', 400, both)).code).toBe('invalid');
    const notValueSet = [{ name: 'valueSet', resource: { resourceType: 'Patient' } }];
    expect((await fails(server.client, '/ValueSet/$expand', 400, notValueSet)).code).toBe('invalid');
    const invalidValueSet = [
      { name: 'valueSet', resource: { resourceType: 'ValueSet', compose: { include: 1 } } },
    ];
    expect((await fails(server.client, '/ValueSet/$expand', 400, invalidValueSet)).code).toBe('structure');
    const notParameters = await server.client.json('/ValueSet/$expand', { method: 'POST', body: snomed });
    expect(notParameters.status).toBe(400);
    expect((await server.client.json('/ValueSet/$expand', { method: 'DELETE' })).status).toBe(405);
    expect((await fails(server.client, `/Patient/$expand?url=${GENDER_VS}`, 404)).code).toBe('not-found');
  });

  it('the CapabilityStatement lists the four operations on ValueSet and CodeSystem', async () => {
    const cs = await ok<CapabilityStatement>(server.client, '/metadata');
    const ops = (type: string) =>
      (
        cs.rest![0]!.resource!.find((r) => r.type === type) as {
          operation?: Array<{ name: string; definition: string }>;
        }
      ).operation ?? [];
    expect(ops('ValueSet')).toEqual(
      expect.arrayContaining([
        { name: 'expand', definition: 'http://hl7.org/fhir/OperationDefinition/ValueSet-expand' },
        {
          name: 'validate-code',
          definition: 'http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code',
        },
      ]),
    );
    expect(ops('CodeSystem')).toEqual(
      expect.arrayContaining([
        { name: 'lookup', definition: 'http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup' },
        { name: 'subsumes', definition: 'http://hl7.org/fhir/OperationDefinition/CodeSystem-subsumes' },
      ]),
    );
    expect(ops('Patient').map((o) => o.name)).not.toContain('expand');
  });
});
