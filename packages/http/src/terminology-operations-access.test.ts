import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFhirServer, createStore, type FhirServer, type ResourceStore } from '@fhirstream/core';
import { createLmdbSearchEngine, openLmdbBackend } from '@fhirstream/lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFhirHandler } from './handler.js';
import { type InProcessClient, inProcessClient } from './in-process.js';
import { COLORS, colors, PALETTE, palette, putAll } from './testing/terminology-fixtures.js';

/**
 * The terminology operations read stored ValueSets and CodeSystems as the
 * caller, through the access policy, like `:in` searches do: a caller who may
 * not read one gets exactly the answer it would get if it did not exist.
 */
describe('terminology operations and the access policy', () => {
  let dir: string;
  let store: ResourceStore;
  let server: FhirServer;
  let client: InProcessClient;
  let hidden = false;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fhirstream-terminology-ops-access-'));
    const backend = openLmdbBackend({ path: dir, durability: 'committed' });
    store = createStore(backend);
    const search = createLmdbSearchEngine({ backend, store });
    hidden = false;
    server = await createFhirServer({
      store,
      search,
      access: {
        canRead: (_ctx, r) => !(hidden && (r.resourceType === 'ValueSet' || r.resourceType === 'CodeSystem')),
      },
    });
    client = inProcessClient(createFhirHandler(server));
  });
  afterEach(async () => {
    await server.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const answer = async (path: string) => {
    const res = await client.json(path);
    return { status: res.status, body: res.body };
  };

  it('a ValueSet or CodeSystem the caller may not read answers as if it did not exist', async () => {
    const requests = [
      `/ValueSet/$expand?url=${PALETTE}`,
      '/ValueSet/vs-a/$expand',
      `/ValueSet/$validate-code?url=${PALETTE}&system=${COLORS}&code=red`,
      '/ValueSet/vs-a/$validate-code?system=http://example.org/fhir/CodeSystem/colors&code=red',
      `/CodeSystem/$lookup?system=${COLORS}&code=red`,
      `/CodeSystem/$subsumes?system=${COLORS}&codeA=warm&codeB=red`,
      '/CodeSystem/colors/$subsumes?codeA=warm&codeB=red',
    ];
    const before = [];
    for (const path of requests) before.push(await answer(path));
    for (const a of before) expect(a.status).toBeGreaterThanOrEqual(400);

    await putAll(client, colors, palette('vs-a', '1.0', ['red']));
    for (const path of requests) expect((await answer(path)).status, path).toBe(200);

    hidden = true;
    for (const [i, path] of requests.entries()) expect(await answer(path), path).toEqual(before[i]);
    // Official definitions do not depend on the policy.
    expect(
      (await answer('/CodeSystem/$lookup?system=http://hl7.org/fhir/administrative-gender&code=male')).status,
    ).toBe(200);
  });
});
