import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestContext } from '@fhirstream/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openEmbedded } from '../embedded.js';
import { generationCheckpoint, openSearchIndexEnv } from './index-env.js';
import { countApplied } from './search-fixture.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const patients = (n: number, gender: string) =>
  Array.from({ length: n }, () => ({ op: 'create' as const, resource: { resourceType: 'Patient', gender } }));

async function count(embedded: ReturnType<typeof openEmbedded>, gender: string): Promise<number | undefined> {
  const r = await embedded.search.search(
    {
      resourceType: 'Patient',
      params: [
        ['gender', gender],
        ['_summary', 'count'],
      ],
    },
    requestContext(),
  );
  return r.total;
}

describe('search index projector (own environment, worker thread)', () => {
  it('indexes a large batch in the worker and resumes from the checkpoint saved with its data', async () => {
    const path = mkdtempSync(join(tmpdir(), 'fhirstream-index-env-'));
    dirs.push(path);
    let embedded = openEmbedded({ path, durability: 'committed' });
    await embedded.runtime.register(embedded.search.indexProjector);
    const { seq } = await embedded.store.commit([...patients(300, 'female'), ...patients(200, 'male')]);
    await embedded.runtime.waitFor(seq, { timeoutMs: 30_000 });
    expect(await count(embedded, 'female')).toBe(300);
    await embedded.close();

    // The index environment holds the generation's checkpoint, written with its keys.
    const env = openSearchIndexEnv(path);
    expect(env.checkpoints.get(generationCheckpoint(1))?.seq).toBe(seq);
    await env.close();

    embedded = openEmbedded({ path, durability: 'committed' });
    const projector = embedded.search.indexProjector;
    const replayed = countApplied(projector);
    await embedded.runtime.register(projector);
    await embedded.runtime.waitFor(seq, { timeoutMs: 30_000 });
    // Nothing was applied again: the runtime resumed from the index's own checkpoint.
    expect(replayed()).toBe(0);
    expect(await count(embedded, 'male')).toBe(200);
    // A first large batch starts the worker (it is applied here meanwhile); once it is up, large batches go there.
    const warmUp = await embedded.store.commit(patients(100, 'unknown'));
    await embedded.runtime.waitFor(warmUp.seq, { timeoutMs: 30_000 });
    for (let i = 0; i < 300 && projector.worker !== 'ready'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(projector.worker).toBe('ready');
    // Updates in a large batch remove the keys of the versions they replace (read back in the worker).
    const females = await embedded.search.search(
      {
        resourceType: 'Patient',
        params: [
          ['gender', 'female'],
          ['_count', '1000'],
        ],
      },
      requestContext(),
    );
    const flipped = await embedded.store.commit(
      females.matches.slice(0, 100).map((m) => ({
        op: 'update' as const,
        resource: { resourceType: 'Patient', id: m.id, gender: 'male' },
      })),
    );
    await embedded.runtime.waitFor(flipped.seq, { timeoutMs: 30_000 });
    expect(await count(embedded, 'female')).toBe(200);
    expect(await count(embedded, 'male')).toBe(300);
    expect(await count(embedded, 'unknown')).toBe(100);
    await embedded.close();
  });
});
