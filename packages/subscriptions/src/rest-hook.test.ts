import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKPORT, RESOURCE_CHANGE_TOPIC } from './backport.js';
import {
  eventNumbers,
  focusRefs,
  type Receiver,
  restHookSubscription,
  startApp,
  startReceiver,
  statusParam,
  type TestApp,
  typeOf,
  until,
} from './testing/harness.js';

const LOINC = 'http://loinc.org';
const obs = (code: string, subject = 'Patient/1', extra: Record<string, unknown> = {}) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: LOINC, code }] },
  subject: { reference: subject },
  ...extra,
});

describe('rest-hook subscriptions', () => {
  let app: TestApp;
  let hook: Receiver;
  beforeEach(async () => {
    app = await startApp();
    hook = await startReceiver();
  });
  afterEach(async () => {
    await app.close();
    await hook.close();
  });

  it('handshakes on activation, then notifies matching writes only (R4 criteria)', async () => {
    const created = await app.request('Subscription', {
      body: restHookSubscription(`Observation?code=${LOINC}|1234-5&subject=Patient/1`, hook.url, {
        channel: { header: ['Authorization: Bearer secret-1', 'X-Tenant: a'] },
      }),
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await hook.waitFor((r) => r.length === 1);
    const handshake = hook.received[0]!;
    expect(typeOf(handshake.bundle)).toBe('handshake');
    expect(handshake.headers.authorization).toBe('Bearer secret-1');
    expect(handshake.headers['x-tenant']).toBe('a');
    expect(handshake.headers['content-type']).toBe('application/fhir+json');
    expect(handshake.bundle.type).toBe('history');
    expect(statusParam(handshake.bundle, 'status')).toBe('requested');
    expect(statusParam(handshake.bundle, 'events-since-subscription-start')).toBe('0');
    expect(handshake.bundle.entry).toHaveLength(1);
    await until(
      async () => (await app.request(`Subscription/${id}`)).body.status === 'active',
      5000,
      'active',
    );

    await app.request('Observation', { body: obs('9999-9') }); // other code
    await app.request('Observation', { body: obs('1234-5', 'Patient/2') }); // other subject
    const hit = await app.request('Observation', { body: obs('1234-5') });
    await hook.waitFor((r) => r.length === 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(hook.received).toHaveLength(2);
    const n = hook.received[1]!.bundle;
    expect(typeOf(n)).toBe('event-notification');
    expect(n.meta?.profile).toEqual([BACKPORT.notificationProfile]);
    expect(eventNumbers(n)).toEqual([1]);
    expect(statusParam(n, 'events-since-subscription-start')).toBe('1');
    expect(statusParam(n, 'subscription').reference).toBe(`${app.base}/Subscription/${id}`);
    expect(statusParam(n, 'topic')).toBe(RESOURCE_CHANGE_TOPIC);
    expect(statusParam(n, 'status')).toBe('active');
    // bdl-3 / bdl-4: every entry of a history bundle has request and response.
    for (const e of n.entry) {
      expect(e.request).toBeDefined();
      expect(e.response).toBeDefined();
    }
    expect(n.entry[0]!.request).toEqual({ method: 'GET', url: `${app.base}/Subscription/${id}/$status` });
    expect(n.entry[1]!.fullUrl).toBe(`${app.base}/Observation/${hit.body.id}`);
    expect(n.entry[1]!.resource).toMatchObject({ resourceType: 'Observation', id: hit.body.id });
    expect(n.entry[1]!.request).toEqual({ method: 'POST', url: 'Observation' });
    expect(n.entry[1]!.response).toMatchObject({ status: '201', etag: 'W/"1"' });
  });

  it('refuses subscriptions it cannot run with 400', async () => {
    const bad = [
      restHookSubscription('Observation?nope=1', hook.url),
      restHookSubscription('NotAType?code=1', hook.url),
      restHookSubscription('Observation?subject.name=peter', hook.url),
      restHookSubscription('Observation?code=1', 'ftp://example.org'),
      restHookSubscription('https://example.org/SubscriptionTopic/unknown', hook.url),
      restHookSubscription(RESOURCE_CHANGE_TOPIC, hook.url, {
        _criteria: { extension: [{ url: BACKPORT.filterCriteria, valueString: 'Observation?bogus=1' }] },
      }),
      restHookSubscription('https://fhirstream.dev/SubscriptionTopic/encounter-start', hook.url, {
        _criteria: {
          extension: [{ url: BACKPORT.filterCriteria, valueString: 'Encounter?status=finished' }],
        },
      }),
      {
        ...restHookSubscription('Observation?code=1', hook.url),
        channel: { type: 'email', endpoint: 'mailto:a@b.c' },
      },
    ];
    for (const body of bad) {
      const res = await app.request('Subscription', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
    const ok = await app.request('Subscription', {
      body: restHookSubscription('Observation?code=1', hook.url),
    });
    expect(ok.status).toBe(201);
  });

  it('retries with backoff while the receiver is down, then delivers everything in order', async () => {
    const created = await app.request('Subscription', {
      body: restHookSubscription(`Observation?code=${LOINC}|1234-5`, hook.url),
    });
    const id = created.body.id;
    await hook.waitFor((r) => r.length === 1);
    await hook.down();
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await app.request('Observation', { body: obs('1234-5') })).body.id);
    await until(
      async () => (await app.request(`Subscription/${id}`)).body.status === 'error',
      10_000,
      'error status',
    );
    const status = await app.request(`Subscription/${id}/$status`);
    expect(statusParam({ entry: status.body.entry } as never, 'status')).toBe('error');
    expect(statusParam({ entry: status.body.entry } as never, 'events-since-subscription-start')).toBe('8');
    await hook.up();
    await hook.waitFor((r) => r.flatMap((x) => eventNumbers(x.bundle)).length >= 8);
    const numbers = hook.received.slice(1).flatMap((x) => eventNumbers(x.bundle));
    expect(numbers).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const refs = hook.received.slice(1).flatMap((x) => focusRefs(x.bundle));
    expect(refs).toEqual(ids.map((i) => `${app.base}/Observation/${i}`));
    await until(
      async () => (await app.request(`Subscription/${id}`)).body.status === 'active',
      5000,
      'recovered',
    );
    // Live again: the next event is number 9.
    await app.request('Observation', { body: obs('1234-5') });
    await hook.waitFor((r) => r.flatMap((x) => eventNumbers(x.bundle)).includes(9));
  });

  it('a failed handshake sets error, and the subscription recovers when the endpoint answers', async () => {
    hook.failWith = 500;
    const created = await app.request('Subscription', {
      body: restHookSubscription('Patient?gender=female', hook.url),
    });
    const id = created.body.id;
    await until(async () => (await app.request(`Subscription/${id}`)).body.status === 'error', 5000, 'error');
    expect((await app.request(`Subscription/${id}`)).body.error).toMatch(/500/);
    await app.request('Patient', { body: { resourceType: 'Patient', gender: 'female' } });
    hook.failWith = undefined;
    await hook.waitFor((r) => r.some((x) => typeOf(x.bundle) === 'event-notification'));
    expect(typeOf(hook.received[0]!.bundle)).toBe('handshake');
    await until(
      async () => (await app.request(`Subscription/${id}`)).body.status === 'active',
      5000,
      'active',
    );
  });
});
