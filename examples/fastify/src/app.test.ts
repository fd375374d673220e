import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.js';

describe('Fastify example', () => {
  let dir: string;
  let app: FastifyInstance;
  let origin: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fhirstream-fastify-'));
    app = await createApp({ dataDir: dir });
    await app.listen({ port: 0, host: '127.0.0.1' });
    origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    app?.server.closeAllConnections();
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves non-FHIR routes, whose JSON body parsing the FHIR plugin leaves alone', async () => {
    const health = await fetch(`${origin}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const echo = await fetch(`${origin}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(echo.status).toBe(200);
    expect(await echo.json()).toEqual({ echo: { hello: 'world' } });
  });

  it('creates, reads and searches under /fhir', async () => {
    const created = await fetch(`${origin}/fhir/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', prefer: 'return=representation' },
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Fastify' }], gender: 'male' }),
    });
    expect(created.status).toBe(201);
    const patient = (await created.json()) as { id: string };
    expect(created.headers.get('location')).toBe(`${origin}/fhir/Patient/${patient.id}/_history/1`);

    const read = await fetch(`${origin}/fhir/Patient/${patient.id}`);
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe('W/"1"');
    expect(((await read.json()) as { name: Array<{ family: string }> }).name[0]!.family).toBe('Fastify');

    const search = await fetch(`${origin}/fhir/Patient?family=Fastify`);
    expect(search.status).toBe(200);
    const bundle = (await search.json()) as { type: string; entry?: Array<{ resource: { id: string } }> };
    expect(bundle.type).toBe('searchset');
    expect(bundle.entry?.map((e) => e.resource.id)).toEqual([patient.id]);

    const invalid = await fetch(`${origin}/fhir/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', gender: 'robot' }),
    });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });
});
