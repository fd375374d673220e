import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type BulkFixture, openBulkFixture } from '../testing/fixture.js';
import { type BulkImport, bulkImport } from './bulk-import.js';

let f: BulkFixture;
let imp: BulkImport;
afterEach(async () => {
  await imp?.close();
  await f?.close();
});

const ASYNC = { prefer: 'respond-async' };

async function open(chunkSize = 2) {
  f = await openBulkFixture({
    search: false,
    operations: ({ store, dir }) => {
      mkdirSync(join(dir, 'incoming'), { recursive: true });
      imp = bulkImport({
        store,
        directory: join(dir, 'imports'),
        inputDirectories: [join(dir, 'incoming')],
        chunkSize,
      });
      return imp.operations;
    },
  });
}

async function poll(url: string) {
  for (let i = 0; i < 500; i++) {
    const res = await f.client.request(url);
    if (res.status !== 202) {
      expect(res.status, await res.clone().text()).toBe(200);
      return (await res.json()) as {
        output: Array<{ type?: string; inputUrl: string; count: number }>;
        error: Array<{ type: string; inputUrl: string; count: number; url: string }>;
      };
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('import did not finish');
}

describe('$import', () => {
  it('imports ndjson files and inline data, reports invalid lines, commits through the server', async () => {
    await open();
    const file = join(f.dir, 'incoming', 'Patient.ndjson');
    writeFileSync(
      file,
      [
        JSON.stringify({ resourceType: 'Patient', id: 'a', gender: 'female' }),
        '{not json',
        JSON.stringify({ resourceType: 'Patient', id: 'b', gender: 'dog' }),
        JSON.stringify({
          resourceType: 'Observation',
          id: 'wrong-type',
          status: 'final',
          code: { text: 'x' },
        }),
        JSON.stringify({ resourceType: 'Patient', id: 'c' }),
        JSON.stringify({ resourceType: 'Patient' }),
      ].join('\n'),
    );
    const res = await f.client.request('/fhir/$import', {
      method: 'POST',
      headers: ASYNC,
      body: {
        resourceType: 'Parameters',
        parameter: [
          { name: 'inputFormat', valueCode: 'application/fhir+ndjson' },
          { name: 'inputSource', valueUri: 'https://example.org/source' },
          {
            name: 'input',
            part: [
              { name: 'type', valueCode: 'Patient' },
              { name: 'url', valueUri: `file://${file}` },
            ],
          },
          {
            name: 'input',
            part: [
              { name: 'type', valueCode: 'Observation' },
              {
                name: 'data',
                valueString: JSON.stringify({
                  resourceType: 'Observation',
                  id: 'o1',
                  status: 'final',
                  code: { text: 'x' },
                  subject: { reference: 'Patient/a' },
                }),
              },
            ],
          },
        ],
      },
    });
    expect(res.status, await res.clone().text()).toBe(202);
    const m = await poll(res.headers.get('content-location')!);
    expect(m.output.map((o) => [o.type, o.count])).toEqual([
      ['Patient', 3],
      ['Observation', 1],
    ]);
    expect(m.error.length).toBe(1);
    expect(m.error[0]!.count).toBe(3);
    const errors = (await (await f.client.request(m.error[0]!.url)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(errors.map((e) => e.issue[0].diagnostics.match(/line (\d+)/)[1])).toEqual(['2', '3', '4']);
    expect((await f.store.read('Patient', 'a'))?.resource).toMatchObject({ gender: 'female' });
    expect((await f.store.read('Observation', 'o1'))?.deleted).toBe(false);
    // The change log saw the writes: projectors (the compartment index) follow.
    await f.runtime.waitFor(await f.store.headSeq());
    expect((await f.compartments.membersOf('a')).map((x) => x.id)).toEqual(['o1', 'a']);
  });

  it('accepts a plain JSON manifest, refuses remote URLs and files outside the allowed directories', async () => {
    await open();
    const file = join(f.dir, 'incoming', 'p.ndjson');
    writeFileSync(file, `${JSON.stringify({ resourceType: 'Patient', id: 'x' })}\n`);
    const ok = await f.client.request('/fhir/$import', {
      method: 'POST',
      headers: ASYNC,
      body: { inputFormat: 'application/fhir+ndjson', input: [{ type: 'Patient', url: file }] },
    });
    expect(ok.status).toBe(202);
    expect((await poll(ok.headers.get('content-location')!)).output[0]!.count).toBe(1);
    const remote = await f.client.request('/fhir/$import', {
      method: 'POST',
      headers: ASYNC,
      body: { input: [{ type: 'Patient', url: 'https://evil.example/p.ndjson' }] },
    });
    expect(remote.status).toBe(400);
    const outside = await f.client.request('/fhir/$import', {
      method: 'POST',
      headers: ASYNC,
      body: { input: [{ type: 'Patient', url: '/etc/passwd' }] },
    });
    expect(outside.status).toBe(403);
    const sync = await f.client.request('/fhir/$import', {
      method: 'POST',
      body: { input: [{ type: 'Patient', url: file }] },
    });
    expect(sync.status).toBe(400);
    const format = await f.client.request('/fhir/$import', {
      method: 'POST',
      headers: ASYNC,
      body: { inputFormat: 'text/csv', input: [{ url: file }] },
    });
    expect(format.status).toBe(400);
  });
});
