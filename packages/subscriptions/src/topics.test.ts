import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKPORT, RESOURCE_CHANGE_TOPIC } from './backport.js';
import { brokerChannel } from './channels/broker.js';
import {
  eventNumbers,
  focusRefs,
  type Receiver,
  startApp,
  startReceiver,
  statusParam,
  type TestApp,
  typeOf,
  until,
} from './testing/harness.js';

const ENCOUNTER_START = 'https://fhirstream.dev/SubscriptionTopic/encounter-start';

function topicSubscription(
  topic: string,
  endpoint: string,
  filters: string[],
  content?: string,
  channelExt: unknown[] = [],
) {
  return {
    resourceType: 'Subscription',
    meta: { profile: [BACKPORT.subscriptionProfile] },
    status: 'requested',
    reason: 'topic test',
    criteria: topic,
    _criteria: { extension: filters.map((valueString) => ({ url: BACKPORT.filterCriteria, valueString })) },
    channel: {
      ...(channelExt.length ? { extension: channelExt } : {}),
      type: 'rest-hook',
      endpoint,
      payload: 'application/fhir+json',
      ...(content ? { _payload: { extension: [{ url: BACKPORT.payloadContent, valueCode: content }] } } : {}),
    },
  };
}

describe('topic-based subscriptions (Backport IG)', () => {
  let app: TestApp;
  let hook: Receiver;
  const published: Array<{ subject: string; payload: string; headers: Record<string, string> }> = [];
  beforeEach(async () => {
    published.length = 0;
    app = await startApp({
      engine: {
        channels: [
          brokerChannel({
            broker: {
              publish: async (subject, payload, headers) =>
                void published.push({ subject, payload, headers }),
            },
          }),
        ],
      },
    });
    hook = await startReceiver();
  });
  afterEach(async () => {
    await app.close();
    await hook.close();
  });

  const events = () => hook.received.filter((r) => typeOf(r.bundle) === 'event-notification');

  it('ANDs filter criteria and fires FHIRPath triggers with %previous / %current (encounter-start)', async () => {
    const sub = await app.request('Subscription', {
      body: topicSubscription(
        ENCOUNTER_START,
        hook.url,
        ['Encounter?patient=Patient/p1', 'Encounter?class=IMP'],
        'id-only',
      ),
    });
    expect(sub.status).toBe(201);
    await hook.waitFor((r) => r.length === 1);
    const enc = (patient: string, status: string, cls = 'IMP') => ({
      resourceType: 'Encounter',
      status,
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: cls },
      subject: { reference: patient },
    });
    const planned = await app.request('Encounter', { body: enc('Patient/p1', 'planned') }); // not started
    await app.request('Encounter', { body: enc('Patient/p2', 'in-progress') }); // other patient
    await app.request('Encounter', { body: enc('Patient/p1', 'in-progress', 'AMB') }); // other class
    const started = await app.request(`Encounter/${planned.body.id}`, {
      method: 'PUT',
      body: { ...enc('Patient/p1', 'in-progress'), id: planned.body.id },
    });
    expect(started.status).toBe(200);
    // Updated again while in progress: %previous is in-progress, so it does not fire.
    await app.request(`Encounter/${planned.body.id}`, {
      method: 'PUT',
      body: { ...enc('Patient/p1', 'in-progress'), id: planned.body.id, priority: { text: 'x' } },
    });
    const direct = await app.request('Encounter', { body: enc('Patient/p1', 'in-progress') }); // created started
    await hook.waitFor(() => events().length === 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(events()).toHaveLength(2);
    const [first, second] = events().map((e) => e.bundle);
    expect(eventNumbers(first!)).toEqual([1]);
    expect(focusRefs(first!)).toEqual([`${app.base}/Encounter/${planned.body.id}`]);
    expect(eventNumbers(second!)).toEqual([2]);
    expect(focusRefs(second!)).toEqual([`${app.base}/Encounter/${direct.body.id}`]);
    expect(statusParam(first!, 'topic')).toBe(ENCOUNTER_START);
    // id-only: entries with fullUrl, request and response, no resource.
    expect(first!.entry[1]).toMatchObject({
      fullUrl: `${app.base}/Encounter/${planned.body.id}`,
      request: { method: 'PUT', url: `Encounter/${planned.body.id}` },
      response: { status: '200', etag: 'W/"2"' },
    });
    expect(first!.entry[1]!.resource).toBeUndefined();
    // additional-context: the encounter's patient.
    const part = (first!.entry[0]!.resource as any).parameter.find(
      (p: any) => p.name === 'notification-event',
    ).part;
    expect(part.find((p: any) => p.name === 'additional-context').valueReference.reference).toBe(
      `${app.base}/Patient/p1`,
    );
  });

  it('honours payload content: empty, id-only, full-resource', async () => {
    const contents = ['empty', 'id-only', 'full-resource'] as const;
    const receivers = await Promise.all(contents.map(() => startReceiver()));
    try {
      for (const [i, c] of contents.entries())
        await app.request('Subscription', {
          body: topicSubscription(RESOURCE_CHANGE_TOPIC, receivers[i]!.url, ['Patient?family=Content'], c),
        });
      const p = await app.request('Patient', {
        body: { resourceType: 'Patient', name: [{ family: 'Content' }] },
      });
      for (const r of receivers)
        await r.waitFor((x) => x.some((y) => typeOf(y.bundle) === 'event-notification'));
      const [empty, idOnly, full] = receivers.map(
        (r) => r.received.find((y) => typeOf(y.bundle) === 'event-notification')!.bundle,
      );
      expect(empty!.entry).toHaveLength(1);
      const emptyEvent = (empty!.entry[0]!.resource as any).parameter.find(
        (x: any) => x.name === 'notification-event',
      );
      expect(emptyEvent.part.map((x: any) => x.name)).toEqual(['event-number', 'timestamp']);
      expect(idOnly!.entry).toHaveLength(2);
      expect(idOnly!.entry[1]!.resource).toBeUndefined();
      expect(full!.entry[1]!.resource).toMatchObject({
        resourceType: 'Patient',
        id: p.body.id,
        meta: { versionId: '1' },
      });
    } finally {
      await Promise.all(receivers.map((r) => r.close()));
    }
  });

  it('sends heartbeats when idle (backport-heartbeat-period)', async () => {
    await app.request('Subscription', {
      body: topicSubscription(RESOURCE_CHANGE_TOPIC, hook.url, ['Patient?family=Beat'], 'empty', [
        { url: BACKPORT.heartbeatPeriod, valueUnsignedInt: 1 },
      ]),
    });
    await hook.waitFor((r) => r.filter((x) => typeOf(x.bundle) === 'heartbeat').length >= 2, 5000);
    const beat = hook.received.find((x) => typeOf(x.bundle) === 'heartbeat')!.bundle;
    expect(beat.type).toBe('history');
    expect(beat.entry).toHaveLength(1);
    expect(statusParam(beat, 'events-since-subscription-start')).toBe('0');
    expect(statusParam(beat, 'status')).toBe('active');
  });

  it('batches a backlog up to backport-max-count events per notification', async () => {
    const sub = await app.request('Subscription', {
      body: topicSubscription(RESOURCE_CHANGE_TOPIC, hook.url, ['Patient?family=Batch'], 'id-only', [
        { url: BACKPORT.maxCount, valuePositiveInt: 3 },
      ]),
    });
    await hook.waitFor((r) => r.length === 1);
    await hook.down();
    for (let i = 0; i < 7; i++)
      await app.request('Patient', { body: { resourceType: 'Patient', name: [{ family: 'Batch' }] } });
    await until(async () => (await app.engine.state(sub.body.id))!.eventsSinceStart === 7);
    await hook.up();
    await hook.waitFor(() => events().flatMap((e) => eventNumbers(e.bundle)).length === 7);
    const batches = events().map((e) => eventNumbers(e.bundle));
    expect(batches.flat()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(3);
    expect(statusParam(events().at(-1)!.bundle, 'events-since-subscription-start')).toBe('7');
  });

  it('publishes to a message broker through a custom channel (backport-channel-type)', async () => {
    const res = await app.request('Subscription', {
      body: {
        resourceType: 'Subscription',
        status: 'requested',
        reason: 'broker',
        criteria: 'Observation?status=final',
        channel: {
          type: 'message',
          _type: {
            extension: [
              {
                url: BACKPORT.channelType,
                valueCoding: { system: 'https://fhirstream.dev/channel-type', code: 'message-broker' },
              },
            ],
          },
          endpoint: 'fhir.labs.final',
          payload: 'application/fhir+json',
          header: ['X-Source: test'],
        },
      },
    });
    expect(res.status).toBe(201);
    await until(
      async () => (await app.request(`Subscription/${res.body.id}`)).body.status === 'active',
      5000,
      'active',
    );
    await app.request('Observation', {
      body: { resourceType: 'Observation', status: 'final', code: { text: 'x' } },
    });
    await until(() => published.length === 1);
    expect(published[0]!.subject).toBe('fhir.labs.final');
    expect(published[0]!.headers).toMatchObject({ 'fhir-subscription': res.body.id, 'x-source': 'test' });
    expect(eventNumbers(JSON.parse(published[0]!.payload))).toEqual([1]);
  });

  it('serves $status and $events from the durable record', async () => {
    const sub = await app.request('Subscription', {
      body: topicSubscription(RESOURCE_CHANGE_TOPIC, hook.url, ['Patient?family=Replay'], 'id-only'),
    });
    const id = sub.body.id;
    const patients: string[] = [];
    for (let i = 0; i < 5; i++)
      patients.push(
        (await app.request('Patient', { body: { resourceType: 'Patient', name: [{ family: 'Replay' }] } }))
          .body.id,
      );
    await hook.waitFor(() => events().flatMap((e) => eventNumbers(e.bundle)).length === 5);

    const status = await app.request(`Subscription/${id}/$status`);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 1 });
    expect(status.body.entry[0].search).toEqual({ mode: 'match' });
    expect(statusParam(status.body, 'type')).toBe('query-status');
    expect(statusParam(status.body, 'events-since-subscription-start')).toBe('5');
    const typeLevel = await app.request(`Subscription/$status?id=${id}`);
    expect(typeLevel.body.total).toBe(1);

    const ev = await app.request(
      `Subscription/${id}/$events?eventsSinceNumber=2&eventsUntilNumber=4&content=full-resource`,
    );
    expect(ev.status).toBe(200);
    expect(ev.body.type).toBe('history');
    expect(statusParam(ev.body, 'type')).toBe('query-event');
    expect(eventNumbers(ev.body)).toEqual([2, 3, 4]);
    expect(ev.body.entry.slice(1).map((e: any) => e.resource.id)).toEqual(patients.slice(1, 4));
    const all = await app.request(`Subscription/${id}/$events`);
    expect(eventNumbers(all.body)).toEqual([1, 2, 3, 4, 5]);
    expect(all.body.entry[1].resource).toBeUndefined(); // the subscription's own content: id-only
    expect((await app.request('Subscription/nope/$status')).status).toBe(404);
  });

  it('lists topics in the CapabilityStatement', async () => {
    const cs = (await app.request('metadata')).body;
    const sub = cs.rest[0].resource.find((r: any) => r.type === 'Subscription');
    const topics = sub.extension
      .filter((e: any) => e.url === BACKPORT.topicCanonical)
      .map((e: any) => e.valueCanonical);
    expect(topics).toEqual(expect.arrayContaining([RESOURCE_CHANGE_TOPIC, ENCOUNTER_START]));
    expect(cs.instantiates).toContain(BACKPORT.serverCapabilityStatement);
    expect(sub.operation.map((o: any) => o.name)).toEqual(
      expect.arrayContaining(['status', 'events', 'get-ws-binding-token']),
    );
  });
});
