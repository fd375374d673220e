/**
 * Shared data and helpers of the terminology operation tests
 * (`terminology-operations*.test.ts`): a stored CodeSystem with a nested
 * is-a hierarchy, versioned ValueSets over it, and readers for the
 * `Parameters` and `OperationOutcome` answers.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import { type InProcessClient, inProcessClient } from '../in-process.js';
import type { OperationOutcome, Resource } from './fhir-types.js';
import { openTestServer, type TestFhirServer } from './fixture.js';

export const COLORS = 'http://example.org/fhir/CodeSystem/colors';
export const PALETTE = 'http://example.org/fhir/ValueSet/palette';
export const GENDER = 'http://hl7.org/fhir/administrative-gender';
export const GENDER_VS = 'http://hl7.org/fhir/ValueSet/administrative-gender';

/** colors 1.0: warm > (red > (crimson), orange), cool > blue; `grey` retired. */
export const colors = {
  resourceType: 'CodeSystem',
  id: 'colors',
  url: COLORS,
  version: '1.0',
  name: 'Colors',
  status: 'active',
  content: 'complete',
  hierarchyMeaning: 'is-a',
  concept: [
    {
      code: 'warm',
      display: 'Warm colours',
      concept: [
        { code: 'red', display: 'Red', concept: [{ code: 'crimson', display: 'Crimson red' }] },
        { code: 'orange', display: 'Orange' },
      ],
    },
    { code: 'cool', display: 'Cool colours', concept: [{ code: 'blue', display: 'Blue' }] },
    { code: 'grey', display: 'Grey', property: [{ code: 'status', valueCode: 'retired' }] },
  ],
};

/** A ValueSet `palette|version` enumerating `codes` of colors. */
export const palette = (id: string, version: string, codes: string[]) => ({
  resourceType: 'ValueSet',
  id,
  url: PALETTE,
  version,
  name: `Palette${version.replace('.', '')}`,
  status: 'active',
  compose: { include: [{ system: COLORS, concept: codes.map((code) => ({ code })) }] },
});

/** One expansion entry as the tests read it. */
export interface Contains {
  system: string;
  code: string;
  version?: string;
  display?: string;
  inactive?: boolean;
}

/** A ValueSet answer of `$expand`, as the tests read it. */
export interface Expanded extends Resource {
  url?: string;
  version?: string;
  compose?: unknown;
  expansion: {
    identifier: string;
    timestamp: string;
    total: number;
    offset?: number;
    parameter?: Array<{ name: string; [value: string]: unknown }>;
    contains?: Contains[];
  };
}

/**
 * A fresh LMDB-backed test server for each test of the enclosing `describe`
 * (hooks registered here); `client` talks to the current one.
 *
 * @example
 * ```ts
 * const server = serverPerTest();
 * it('expands', async () => { await ok(server.client, '/ValueSet/$expand?url=…'); });
 * ```
 */
export function serverPerTest(): { readonly client: InProcessClient } {
  let t: TestFhirServer | undefined;
  let client: InProcessClient | undefined;
  beforeEach(async () => {
    t = await openTestServer();
    client = inProcessClient(t.handler);
  });
  afterEach(async () => t?.close());
  return {
    get client() {
      if (!client) throw new Error('serverPerTest: no test is running');
      return client;
    },
  };
}

/** PUT each resource at its id, expecting success. */
export async function putAll(client: InProcessClient, ...resources: Resource[]): Promise<void> {
  for (const r of resources) {
    const res = await client.json(`/${r.resourceType}/${r.id}`, { method: 'PUT', body: r });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  }
}

/** GET (or POST a Parameters body to) `path`, expecting 200; the answer. */
export async function ok<T>(client: InProcessClient, path: string, parameter?: unknown[]): Promise<T> {
  const res = await client.json<T>(
    path,
    parameter ? { method: 'POST', body: { resourceType: 'Parameters', parameter } } : {},
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** GET (or POST a Parameters body to) `path`, expecting `status` with an OperationOutcome; its first issue. */
export async function fails(
  client: InProcessClient,
  path: string,
  status: number,
  parameter?: unknown[],
): Promise<OperationOutcome['issue'][number]> {
  const res = await client.json<OperationOutcome>(
    path,
    parameter ? { method: 'POST', body: { resourceType: 'Parameters', parameter } } : {},
  );
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.resourceType).toBe('OperationOutcome');
  return res.body.issue[0]!;
}

/** A Parameters answer as `name → value` (the first `value[x]`), with the `property` groups apart. */
export function outputs(body: unknown): {
  values: Record<string, unknown>;
  properties: Array<{ code: string; value: unknown; description?: string }>;
} {
  const values: Record<string, unknown> = {};
  const properties: Array<{ code: string; value: unknown; description?: string }> = [];
  const firstValue = (p: Record<string, unknown>) =>
    Object.entries(p).find(([k]) => k.startsWith('value'))?.[1] as unknown;
  for (const p of (body as { parameter: Array<Record<string, unknown>> }).parameter) {
    if (p.name !== 'property') {
      values[p.name as string] = firstValue(p);
      continue;
    }
    const part = Object.fromEntries(
      (p.part as Array<Record<string, unknown>>).map((x) => [x.name as string, firstValue(x)]),
    );
    properties.push({
      code: part.code as string,
      value: part.value,
      ...(part.description ? { description: part.description as string } : {}),
    });
  }
  return { values, properties };
}
