import { describe, expect, it } from 'vitest';
import type { SubscriptionChannel } from './channels/types.js';
import { startApp, until } from './testing/harness.js';

describe('subscription index', () => {
  it('1,000 subscriptions: a write evaluates only the ones that can match', async () => {
    const sent = new Map<string, number>();
    const memory: SubscriptionChannel = {
      type: 'memory',
      handshake: 'none',
      async send(sub, _bundle, type) {
        if (type === 'event-notification') sent.set(sub.id, (sent.get(sub.id) ?? 0) + 1);
        return 'sent';
      },
    };
    const app = await startApp({ engine: { channels: [memory], reflectStatus: false } });
    try {
      const ops = Array.from({ length: 1000 }, (_, i) => ({
        op: 'create' as const,
        id: `s${i}`,
        resource: {
          resourceType: 'Subscription',
          status: 'requested',
          reason: 'scale',
          criteria:
            i % 2 === 0
              ? `Observation?code=http://loinc.org|code-${i}`
              : `Observation?subject=Patient/p${i}&status=final`,
          channel: {
            type: 'message',
            _type: {
              extension: [
                {
                  url: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-channel-type',
                  valueCoding: { code: 'memory' },
                },
              ],
            },
          },
        } as never,
      }));
      const { seq } = await app.store.commit(ops);
      await app.server.runtime.waitFor(seq);
      expect(app.engine.subscription('s999')).toBeDefined();
      const before = { ...app.engine.stats };
      const write = await app.request('Observation', {
        body: {
          resourceType: 'Observation',
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: 'code-42' }] },
          subject: { reference: 'Patient/p7' },
        },
      });
      expect(write.status).toBe(201);
      await until(() => sent.get('s42') === 1 && sent.get('s7') === 1, 5000, 'deliveries');
      expect(app.engine.stats.writes - before.writes).toBe(1);
      expect(app.engine.stats.evaluated - before.evaluated).toBe(2); // s42 (code) and s7 (subject): nothing else looked at
      expect(app.engine.stats.matched - before.matched).toBe(2);
      expect([...sent.keys()].sort()).toEqual(['s42', 's7']);
      // A write of a type nobody subscribes to costs nothing.
      await app.request('Patient', { body: { resourceType: 'Patient' } });
      await app.server.runtime.waitFor(await app.store.headSeq());
      expect(app.engine.stats.writes - before.writes).toBe(1);
    } finally {
      await app.close();
    }
  });
});
