import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFhirServer, createStore } from '@fhirstream/core';
import { createLmdbSearchEngine, openLmdbBackend } from '@fhirstream/lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFhirHandler } from './handler.js';
import { inProcessClient } from './in-process.js';
import { openTestServer, type TestFhirServer } from './testing/fixture.js';

type Bundle = { entry?: Array<{ resource: { resourceType: string; id: string } }> };
type Outcome = {
  resourceType: string;
  issue: Array<{ code: string; diagnostics?: string; expression?: string[] }>;
};

describe('token :in / :not-in / :below over REST', () => {
  let t: TestFhirServer;
  beforeEach(async () => {
    t = await openTestServer();
  });
  afterEach(async () => t.close());

  const matches = (body: Bundle) =>
    (body.entry ?? [])
      .filter((e) => e.resource.resourceType === 'Patient')
      .map((e) => e.resource.id)
      .sort();

  it('a POSTed ValueSet is found by url and by id; :not-in excludes its codes', async () => {
    const client = inProcessClient(t.handler);
    const ids: Record<string, string> = {};
    for (const gender of ['male', 'female', 'other']) {
      const created = await client.json('/Patient', {
        method: 'POST',
        body: { resourceType: 'Patient', gender },
      });
      ids[gender] = (created.body as { id: string }).id;
    }
    const vs = await client.json('/ValueSet', {
      method: 'POST',
      body: {
        resourceType: 'ValueSet',
        status: 'active',
        url: 'http://example.org/fhir/ValueSet/binary-gender',
        compose: {
          include: [
            {
              system: 'http://hl7.org/fhir/administrative-gender',
              concept: [{ code: 'male' }, { code: 'female' }],
            },
          ],
        },
      },
    });
    expect(vs.status).toBe(201);
    const byUrl = await client.json('/Patient?gender:in=http://example.org/fhir/ValueSet/binary-gender');
    expect(byUrl.status).toBe(200);
    expect(matches(byUrl.body as Bundle)).toEqual([ids.male, ids.female].sort());
    const byId = await client.json(`/Patient?gender:in=ValueSet/${(vs.body as { id: string }).id}`);
    expect(matches(byId.body as Bundle)).toEqual([ids.male, ids.female].sort());
    const notIn = await client.json('/Patient?gender:not-in=http://example.org/fhir/ValueSet/binary-gender');
    expect(matches(notIn.body as Bundle)).toEqual([ids.other]);
    const below = await client.json('/Patient?gender:below=http://hl7.org/fhir/administrative-gender|other');
    expect(matches(below.body as Bundle)).toEqual([ids.other]);
  });

  it('an unknown ValueSet answers 400 with an OperationOutcome naming it, lenient or strict', async () => {
    const client = inProcessClient(t.handler);
    for (const handling of ['lenient', 'strict']) {
      const res = await client.json('/Patient?gender:in=http://example.org/fhir/ValueSet/missing', {
        headers: { prefer: `handling=${handling}` },
      });
      expect(res.status).toBe(400);
      const outcome = res.body as Outcome;
      expect(outcome.resourceType).toBe('OperationOutcome');
      expect(outcome.issue[0]!.code).toBe('invalid');
      expect(outcome.issue[0]!.diagnostics).toContain('http://example.org/fhir/ValueSet/missing');
      expect(outcome.issue[0]!.expression).toEqual(['gender:in']);
    }
    const snomed = await client.json('/Observation?code:below=http://snomed.info/sct|404684003');
    expect(snomed.status).toBe(400);
    expect((snomed.body as Outcome).issue[0]!.code).toBe('not-supported');
  });
});

describe('token :in and the access policy', () => {
  it('expands only the ValueSets the caller may read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fhirstream-terminology-access-'));
    const backend = openLmdbBackend({ path: dir, durability: 'committed' });
    const store = createStore(backend);
    const search = createLmdbSearchEngine({ backend, store });
    let hideValueSets = false;
    const server = await createFhirServer({
      store,
      search,
      access: { canRead: (_ctx, r) => !(hideValueSets && r.resourceType === 'ValueSet') },
    });
    try {
      const client = inProcessClient(createFhirHandler(server));
      await client.json('/Patient', { method: 'POST', body: { resourceType: 'Patient', gender: 'male' } });
      const url = 'http://example.org/fhir/ValueSet/males';
      const vs = await client.json('/ValueSet', {
        method: 'POST',
        body: {
          resourceType: 'ValueSet',
          status: 'active',
          url,
          compose: {
            include: [{ system: 'http://hl7.org/fhir/administrative-gender', concept: [{ code: 'male' }] }],
          },
        },
      });
      const id = (vs.body as { id: string }).id;
      const seen = await client.json(`/Patient?gender:in=${url}&_summary=count`);
      expect(seen.body).toMatchObject({ total: 1 });
      hideValueSets = true;
      for (const ref of [url, `ValueSet/${id}`]) {
        const hidden = await client.json(`/Patient?gender:in=${ref}`);
        expect(hidden.status).toBe(400);
        expect((hidden.body as Outcome).issue[0]!.code).toBe('invalid');
      }
    } finally {
      await server.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
