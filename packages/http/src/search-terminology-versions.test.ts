import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type InProcessClient, inProcessClient } from './in-process.js';
import { openTestServer, type TestFhirServer } from './testing/fixture.js';

type Bundle = { entry?: Array<{ resource: { resourceType: string; id: string } }> };
type Outcome = {
  resourceType: string;
  issue: Array<{ code: string; diagnostics?: string; expression?: string[] }>;
};

const CS = 'http://example.org/fhir/CodeSystem/colors';
const VS = 'http://example.org/fhir/ValueSet/palette';
const GENDER = 'http://hl7.org/fhir/administrative-gender';
const GENDER_VS = 'http://hl7.org/fhir/ValueSet/administrative-gender';

const valueSet = (id: string, version: string, codes: string[]) => ({
  resourceType: 'ValueSet',
  id,
  url: VS,
  version,
  status: 'active',
  compose: { include: [{ system: CS, concept: codes.map((code) => ({ code })) }] },
});

/**
 * Canonical versions over REST on the real LMDB-backed server: each test
 * stores two versions of a URL in an order where taking the first stored
 * match (ignoring versions) gives the wrong answer.
 */
describe('token :in with versioned canonicals (url|version) over REST', () => {
  let t: TestFhirServer;
  let client: InProcessClient;
  beforeEach(async () => {
    t = await openTestServer();
    client = inProcessClient(t.handler);
    for (const code of ['red', 'blue', 'orange'])
      await put({
        resourceType: 'Observation',
        id: `o-${code}`,
        status: 'final',
        code: { coding: [{ system: CS, code }] },
      });
  });
  afterEach(async () => t.close());

  async function put(resource: { resourceType: string; id: string; [key: string]: unknown }): Promise<void> {
    const res = await client.json(`/${resource.resourceType}/${resource.id}`, {
      method: 'PUT',
      body: resource,
    });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  }
  async function ids(query: string): Promise<string[]> {
    const res = await client.json(query);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return ((res.body as Bundle).entry ?? []).map((e) => e.resource.id).sort();
  }
  async function outcome(query: string): Promise<Outcome['issue'][number]> {
    const res = await client.json(query);
    expect(res.status).toBe(400);
    expect((res.body as Outcome).resourceType).toBe('OperationOutcome');
    return (res.body as Outcome).issue[0]!;
  }

  it('without a version, the higher of two stored versions, even when the lower was updated since', async () => {
    await put(valueSet('vs-a', '1.0', ['red']));
    await put(valueSet('vs-b', '2.0', ['blue']));
    expect(await ids(`/Observation?code:in=${VS}`)).toEqual(['o-blue']);
    await put({ ...valueSet('vs-a', '1.0', ['red']), description: 'updated after 2.0' });
    expect(await ids(`/Observation?code:in=${VS}`)).toEqual(['o-blue']);
    expect(await ids(`/Observation?code:not-in=${VS}`)).toEqual(['o-orange', 'o-red']);
  });

  it('url|1.0 uses the older version', async () => {
    await put(valueSet('vs-a', '2.0', ['blue']));
    await put(valueSet('vs-b', '1.0', ['red']));
    expect(await ids(`/Observation?code:in=${VS}|1.0`)).toEqual(['o-red']);
    expect(await ids(`/Observation?code:in=${VS}|2.0`)).toEqual(['o-blue']);
  });

  it('url|9.9 that is not stored is 400 invalid, lenient or strict', async () => {
    await put(valueSet('vs-a', '1.0', ['red']));
    await put(valueSet('vs-b', '2.0', ['blue']));
    for (const handling of ['lenient', 'strict']) {
      const res = await client.json(`/Observation?code:in=${VS}|9.9`, {
        headers: { prefer: `handling=${handling}` },
      });
      expect(res.status).toBe(400);
    }
    const issue = await outcome(`/Observation?code:in=${VS}|9.9`);
    expect(issue.code).toBe('invalid');
    expect(issue.diagnostics).toContain(`${VS}|9.9`);
    expect(issue.expression).toEqual(['code:in']);
  });

  it('a versioned import (include.valueSet url|1.0) uses that version', async () => {
    await put(valueSet('vs-a', '2.0', ['blue']));
    await put(valueSet('vs-b', '1.0', ['red']));
    const outer = 'http://example.org/fhir/ValueSet/outer';
    await put({
      resourceType: 'ValueSet',
      id: 'outer',
      url: outer,
      status: 'active',
      compose: { include: [{ valueSet: [`${VS}|1.0`] }] },
    });
    expect(await ids(`/Observation?code:in=${outer}`)).toEqual(['o-red']);
  });

  it('include.system + include.version selects that stored CodeSystem version; :below uses the highest', async () => {
    const colors = (id: string, version: string, children: string[]) => ({
      resourceType: 'CodeSystem',
      id,
      url: CS,
      version,
      status: 'active',
      content: 'complete',
      concept: [{ code: 'warm', concept: children.map((code) => ({ code })) }, { code: 'blue' }],
    });
    await put(colors('cs-a', '2.0', ['red', 'orange']));
    await put(colors('cs-b', '1.0', ['red']));
    await put({
      resourceType: 'ValueSet',
      id: 'warm-1',
      url: VS,
      status: 'active',
      compose: {
        include: [
          { system: CS, version: '1.0', filter: [{ property: 'concept', op: 'is-a', value: 'warm' }] },
        ],
      },
    });
    expect(await ids(`/Observation?code:in=${VS}`)).toEqual(['o-red']);
    expect(await ids(`/Observation?code:below=${CS}|warm`)).toEqual(['o-orange', 'o-red']);
  });

  it('official ValueSets: |4.0.1 matches; another version is 400 unless one is stored', async () => {
    await put({ resourceType: 'Patient', id: 'p-m', gender: 'male' });
    await put({ resourceType: 'Patient', id: 'p-f', gender: 'female' });
    expect(await ids(`/Patient?gender:in=${GENDER_VS}|4.0.1`)).toEqual(['p-f', 'p-m']);
    expect((await outcome(`/Patient?gender:in=${GENDER_VS}|3.0.2`)).code).toBe('invalid');
    await put({
      resourceType: 'ValueSet',
      id: 'gender-3',
      url: GENDER_VS,
      version: '3.0.2',
      status: 'active',
      compose: { include: [{ system: GENDER, concept: [{ code: 'female' }] }] },
    });
    expect(await ids(`/Patient?gender:in=${GENDER_VS}|3.0.2`)).toEqual(['p-f']);
    expect(await ids(`/Patient?gender:in=${GENDER_VS}`)).toEqual(['p-f', 'p-m']);
  });
});
