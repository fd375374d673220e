import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inProcessClient } from './in-process.js';
import { openTestServer, type TestFhirServer } from './testing/fixture.js';

const MAIDEN = 'http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName';
const searchParameter = {
  resourceType: 'SearchParameter',
  url: 'https://fhirstream.test/SearchParameter/mothers-maiden-name',
  name: 'MothersMaidenName',
  status: 'active',
  description: "Search by mother's maiden name",
  code: 'mothers-maiden-name',
  base: ['Patient'],
  type: 'string',
  expression: `Patient.extension.where(url='${MAIDEN}').value`,
};
const patient = (name: string) => ({
  resourceType: 'Patient',
  extension: [{ url: MAIDEN, valueString: name }],
});

describe('SearchParameters created at runtime', () => {
  let t: TestFhirServer;
  beforeEach(async () => {
    t = await openTestServer();
  });
  afterEach(async () => t.close());

  it('are registered and backfilled: resources written before and after become searchable', async () => {
    const client = inProcessClient(t.handler);
    await client.json('/Patient', { method: 'POST', body: patient('Smith') });
    const unknown = await client.json('/Patient?mothers-maiden-name=smith', {
      headers: { prefer: 'handling=strict' },
    });
    expect(unknown.status).toBe(400);
    const created = await client.json('/SearchParameter', { method: 'POST', body: searchParameter });
    expect(created.status).toBe(201);
    await client.json('/Patient', { method: 'POST', body: patient('Smithson') });
    await client.json('/Patient', { method: 'POST', body: patient('Jones') });
    const deadline = Date.now() + 10_000;
    let found: { status: number; body: { entry?: unknown[] } };
    do {
      found = await client.json('/Patient?mothers-maiden-name=smith', {
        headers: { prefer: 'handling=strict' },
      });
      if (found.status === 200) break;
      expect(found.status, JSON.stringify(found.body)).toBe(503); // not ready yet while backfilling
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < deadline);
    expect(found.status).toBe(200);
    expect(found.body.entry).toHaveLength(2);
  });

  it('refuses a SearchParameter that cannot be used, and stores nothing', async () => {
    const client = inProcessClient(t.handler);
    const head = await t.store.headSeq();
    const { expression: _e, ...noExpression } = searchParameter;
    const bad = await client.json('/SearchParameter', { method: 'POST', body: noExpression });
    expect(bad.status).toBe(400);
    expect(await t.store.headSeq()).toBe(head);
  });
});
