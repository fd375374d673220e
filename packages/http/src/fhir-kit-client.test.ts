import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, type FhirResource } from 'fhir-kit-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNodeHandler } from './adapters/node.js';
import type { Bundle, CapabilityStatement, Patient } from './testing/fhir-types.js';
import { openTestServer, type TestFhirServer } from './testing/fixture.js';

const SYS = 'http://fhirstream.test/kit';

/** fhir-kit-client 2, a third-party FHIR client, against a listening node:http server. */
describe('fhir-kit-client against node:http', () => {
  let t: TestFhirServer;
  let http: Server;
  let client: Client;
  let baseUrl: string;

  beforeAll(async () => {
    t = await openTestServer({ basePath: '/fhir' });
    http = createServer(toNodeHandler(t.handler, { basePath: '/fhir' }) as RequestListener);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/fhir`;
    client = new Client({ baseUrl });
  });
  afterAll(async () => {
    http?.closeAllConnections();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    await t?.close();
  });

  const create = async (patient: Partial<Patient> = {}) =>
    (await client.create({
      resourceType: 'Patient',
      body: { resourceType: 'Patient', ...patient } as unknown as FhirResource,
      options: { headers: { prefer: 'return=representation' } },
    })) as unknown as Patient & { id: string };

  it('capabilityStatement', async () => {
    const cs = (await client.capabilityStatement()) as unknown as CapabilityStatement;
    expect(cs.resourceType).toBe('CapabilityStatement');
    expect(cs.fhirVersion).toBe('4.0.1');
  });

  it('create, read, vread, update, patch, delete and history', async () => {
    const created = await create({ name: [{ family: 'Kit' }] });
    expect(created.meta?.versionId).toBe('1');
    const read = (await client.read({ resourceType: 'Patient', id: created.id })) as unknown as Patient;
    expect(read.name?.[0]?.family).toBe('Kit');

    const updated = (await client.update({
      resourceType: 'Patient',
      id: created.id,
      body: { ...read, active: true } as unknown as FhirResource,
    })) as unknown as Patient;
    expect(updated.meta?.versionId).toBe('2');
    expect(updated.active).toBe(true);

    const patched = (await client.patch({
      resourceType: 'Patient',
      id: created.id,
      jsonPatch: [{ op: 'replace', path: '/active', value: false }],
    })) as unknown as Patient;
    expect(patched.active).toBe(false);
    expect(patched.meta?.versionId).toBe('3');

    const v1 = (await client.vread({
      resourceType: 'Patient',
      id: created.id,
      version: '1',
    })) as unknown as Patient;
    expect(v1.active).toBeUndefined();

    await client.delete({ resourceType: 'Patient', id: created.id });
    await expect(client.read({ resourceType: 'Patient', id: created.id })).rejects.toMatchObject({
      response: { status: 410 },
    });

    const history = (await client.history({ resourceType: 'Patient', id: created.id })) as unknown as Bundle;
    expect(history.type).toBe('history');
    expect(history.entry?.map((e) => e.request?.method)).toEqual(['DELETE', 'PUT', 'PUT', 'POST']);
    const typeHistory = (await client.history({ resourceType: 'Patient' })) as unknown as Bundle;
    expect(typeHistory.entry!.length).toBeGreaterThanOrEqual(4);
    const systemHistory = (await client.history()) as unknown as Bundle;
    expect(systemHistory.entry!.length).toBeGreaterThanOrEqual(4);
  });

  it('errors reject with the status and an OperationOutcome', async () => {
    await expect(client.read({ resourceType: 'Patient', id: 'does-not-exist' })).rejects.toMatchObject({
      response: { status: 404, data: { resourceType: 'OperationOutcome' } },
    });
  });

  it('search and nextPage', async () => {
    const value = `page-${Date.now()}`;
    for (let i = 0; i < 5; i++) await create({ identifier: [{ system: SYS, value }] });
    const ids = new Set<string>();
    let page = (await client.search({
      resourceType: 'Patient',
      searchParams: { identifier: `${SYS}|${value}`, _count: 2 },
    })) as unknown as Bundle;
    let pages = 0;
    for (;;) {
      pages++;
      for (const e of page.entry ?? []) ids.add(e.resource!.id!);
      const next = client.nextPage({
        bundle: page as unknown as Parameters<Client['nextPage']>[0]['bundle'],
      });
      if (!next) break;
      page = (await next) as unknown as Bundle;
    }
    expect(ids.size).toBe(5);
    expect(pages).toBe(3);
  });

  it('batch', async () => {
    const response = (await client.batch({
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          {
            resource: { resourceType: 'Patient', active: true },
            request: { method: 'POST', url: 'Patient' },
          },
          { request: { method: 'GET', url: 'Patient/not-there' } },
        ],
      },
    })) as unknown as Bundle;
    expect(response.type).toBe('batch-response');
    expect(response.entry?.map((e) => e.response?.status.slice(0, 3))).toEqual(['201', '404']);
  });

  it('transaction', async () => {
    const response = (await client.transaction({
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: 'urn:uuid:3f1c3a52-7a5c-4bd1-9f3f-111111111111',
            resource: { resourceType: 'Patient', name: [{ family: 'Tx' }] },
            request: { method: 'POST', url: 'Patient' },
          },
          {
            resource: {
              resourceType: 'Observation',
              status: 'final',
              code: { text: 'pulse' },
              subject: { reference: 'urn:uuid:3f1c3a52-7a5c-4bd1-9f3f-111111111111' },
            },
            request: { method: 'POST', url: 'Observation' },
          },
        ],
      },
    })) as unknown as Bundle;
    expect(response.type).toBe('transaction-response');
    const patientId = response.entry![0]!.response!.location!.split('/')[1];
    const obsId = response.entry![1]!.response!.location!.split('/')[1]!;
    const obs = (await client.read({ resourceType: 'Observation', id: obsId })) as {
      subject?: { reference?: string };
    };
    expect(obs.subject?.reference).toBe(`Patient/${patientId}`);
  });
});
