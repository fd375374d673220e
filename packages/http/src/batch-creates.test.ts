import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inProcessClient } from './in-process.js';
import { openTestServer, type TestFhirServer } from './testing/fixture.js';

const SYS = 'http://fhirstream.test/npi';
const practitioner = (value: string, extra: object = {}) => ({
  resource: { resourceType: 'Practitioner', identifier: [{ system: SYS, value }], ...extra },
  request: { method: 'POST', url: 'Practitioner', ifNoneExist: `identifier=${SYS}|${value}` },
});

describe('a batch made only of creates (the bulk-loader shape) is committed as one', () => {
  let t: TestFhirServer;
  beforeEach(async () => {
    t = await openTestServer();
  });
  afterEach(async () => t.close());

  it('creates new ones, finds existing ones, resolves duplicate criteria to one resource, and fails bad entries alone', async () => {
    const client = inProcessClient(t.handler);
    const existing = await client.json<{ id: string }>('/Practitioner', {
      method: 'POST',
      body: practitioner('1').resource,
    });
    const head = await t.store.headSeq();
    const { status, body } = await client.json<{
      type: string;
      entry: Array<{ response: { status: string; location?: string } }>;
    }>('/', {
      method: 'POST',
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          practitioner('1'),
          practitioner('2'),
          practitioner('2'),
          practitioner('3', { gender: 'dog' }),
          {
            resource: { resourceType: 'PractitionerRole', active: true },
            request: { method: 'POST', url: 'PractitionerRole' },
          },
        ],
      },
    });
    expect(status).toBe(200);
    expect(body.type).toBe('batch-response');
    const [e0, e1, e2, e3, e4] = body.entry;
    expect(e0!.response.status).toBe('200 OK');
    expect(e0!.response.location).toBe(`Practitioner/${existing.body.id}/_history/1`);
    expect(e1!.response.status).toBe('201 Created');
    expect(e2!.response.status).toBe('200 OK');
    expect(e2!.response.location).toBe(e1!.response.location);
    expect(e3!.response.status).toMatch(/^400/);
    expect(e4!.response.status, JSON.stringify(e4)).toBe('201 Created');
    // the two new resources were written in ONE commit: contiguous seqs, one txId
    const events = await t.store.readChanges(head + 1);
    expect(events.map((e) => e.resourceType)).toEqual(['Practitioner', 'PractitionerRole']);
    expect(new Set(events.map((e) => e.txId)).size).toBe(1);
    const found = await client.json<{ total?: number; entry?: unknown[] }>(
      `/Practitioner?identifier=${SYS}|2`,
    );
    expect(found.body.entry).toHaveLength(1);
  });
});
