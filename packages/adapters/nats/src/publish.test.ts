import { randomUUID } from 'node:crypto';
import { syntheticEvents } from '@fhirstream/core/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NatsTransport, openNatsTransport } from './nats-transport.js';

const url = process.env.FHIRSTREAM_NATS_URL;
const title = 'pipelined JetStream publish';

describe.skipIf(!url)(url ? title : `${title} (skipped: FHIRSTREAM_NATS_URL not set)`, () => {
  let prefix: string;
  let transports: NatsTransport[];
  const connect = async (options: { maxPendingPublishes?: number } = {}) => {
    const t = await openNatsTransport({ servers: url!, prefix, ...options });
    transports.push(t);
    return t;
  };
  /** The seqs the stream holds, in stream order (from each message's dedupe id). */
  const storedSeqs = async (t: NatsTransport): Promise<number[]> => {
    const nc = await connectNats({ servers: url! });
    raw.push(nc);
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(t.stream);
    const seqs: number[] = [];
    for (let s = info.state.first_seq; s <= info.state.last_seq && info.state.messages > 0; s++) {
      const msg = await jsm.streams.getMessage(t.stream, { seq: s });
      const id = msg?.header.get('Nats-Msg-Id') ?? '';
      seqs.push(Number(id.slice(id.lastIndexOf(':') + 1)));
    }
    return seqs;
  };
  const raw: NatsConnection[] = [];
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  beforeEach(() => {
    prefix = `fst_${randomUUID().slice(0, 8)}`;
    transports = [];
  });
  afterEach(async () => {
    await transports[0]?.destroy();
    for (const t of transports) await t.close();
    for (const nc of raw.splice(0)) await nc.close();
  });

  it('sends a publish larger than the pending window in order, and drops re-published events', async () => {
    const t = await connect({ maxPendingPublishes: 64 });
    await t.publish(syntheticEvents(1, 1000));
    await t.publish(syntheticEvents(501, 700));
    await t.publish(syntheticEvents(1, 1200));
    expect(await t.lastPublishedSeq()).toBe(1200);
    expect(await storedSeqs(t)).toEqual(range(1, 1200));
  });

  it('rejects a publish that would leave a gap, storing nothing of it, and goes on from the right seq', async () => {
    const t = await connect({ maxPendingPublishes: 16 });
    await t.publish(syntheticEvents(1, 100));
    await expect(t.publish(syntheticEvents(102, 100))).rejects.toThrow(/last msg ?id/i);
    expect(await t.lastPublishedSeq()).toBe(100);
    // a batch half published before: its stored head is dropped as duplicates, its tail stored in order
    await t.publish(syntheticEvents(51, 250));
    expect(await storedSeqs(t)).toEqual(range(1, 300));
  });

  it('rejects at once when no stream takes the subject', async () => {
    const t = await connect();
    await t.publish(syntheticEvents(1, 10));
    await t.destroy();
    const started = performance.now();
    await expect(t.publish(syntheticEvents(11, 10))).rejects.toThrow(/no responders|stream/i);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('refuses to publish once closed', async () => {
    const t = await connect();
    await t.close();
    await expect(t.publish(syntheticEvents(1, 1))).rejects.toThrow(/closed/);
  });
});
