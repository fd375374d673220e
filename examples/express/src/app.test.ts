import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type ExampleApp } from './app.js';

describe('Express example', () => {
  let dir: string;
  let example: ExampleApp;
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fhirstream-express-'));
    example = await createApp({ dataDir: dir });
    server = example.app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await example?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves a non-FHIR route next to FHIR', async () => {
    const res = await fetch(`${origin}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${origin}/elsewhere`)).status).toBe(404);
  });

  it('creates, reads and searches under /fhir', async () => {
    const created = await fetch(`${origin}/fhir/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', prefer: 'return=representation' },
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Express' }], gender: 'female' }),
    });
    expect(created.status).toBe(201);
    const patient = (await created.json()) as { id: string };
    expect(created.headers.get('location')).toBe(`${origin}/fhir/Patient/${patient.id}/_history/1`);

    const read = await fetch(`${origin}/fhir/Patient/${patient.id}`);
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe('W/"1"');
    expect(((await read.json()) as { name: Array<{ family: string }> }).name[0]!.family).toBe('Express');

    const search = await fetch(`${origin}/fhir/Patient?family=Express`);
    expect(search.status).toBe(200);
    const bundle = (await search.json()) as { type: string; entry?: Array<{ resource: { id: string } }> };
    expect(bundle.type).toBe('searchset');
    expect(bundle.entry?.map((e) => e.resource.id)).toEqual([patient.id]);

    const metadata = await fetch(`${origin}/fhir/metadata`);
    expect(((await metadata.json()) as { resourceType: string }).resourceType).toBe('CapabilityStatement');
  });
});
