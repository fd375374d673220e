/**
 * The durable record of a subscription engine, in the store's checkpoint
 * store (so it works on every backend and survives restarts):
 *
 * - `subscription/<id>`: numbering — how many events the subscription has
 *   (`events`) and the last change seq numbered (`seq`, the replay guard);
 * - `subscription/<id>/events/<n>`: the change seqs of event numbers
 *   `n*512+1 … (n+1)*512` (what `$events` and redelivery replay);
 * - `subscription-delivery/<id>`: delivery — the last event number the
 *   channel accepted, status, handshake, failures.
 *
 * Numbering is written chunks-first, then the numbering record: a crash in
 * between leaves seqs beyond `events` that the replay overwrites with the
 * same values, so an event is never renumbered.
 */
import type { Checkpoint, CheckpointStore } from '@fhirstream/core';
import type { SubscriptionStatusCode } from './backport.js';

const CHUNK = 512;
const numberingKey = (id: string) => `subscription/${id}`;
const chunkKey = (id: string, n: number) => `subscription/${id}/events/${n}`;
const deliveryKey = (id: string) => `subscription-delivery/${id}`;

/** Numbering of one subscription. */
export interface NumberingState extends Checkpoint {
  /** The last change seq numbered for this subscription (events at or before it are never numbered again). */
  seq: number;
  /** Events since the subscription started. */
  events: number;
}

/** Delivery of one subscription. */
export interface DeliveryState extends Checkpoint {
  /** Last event number the channel accepted. */
  delivered: number;
  status: SubscriptionStatusCode;
  /** Fingerprint of the subscription the last successful handshake was for. */
  handshaken?: string;
  /** Consecutive failed attempts. */
  failures: number;
  lastError?: string;
  /** When the last notification (of any type) went out, ms since the epoch. */
  lastSentAt?: number;
}

interface ChunkState extends Checkpoint {
  seqs: number[];
}

/**
 * Durable numbering and delivery state of subscriptions; the numbering of
 * every loaded subscription is also held in memory.
 *
 * @example
 * ```ts
 * const ledger = new SubscriptionLedger(store.checkpoints);
 * await ledger.append(new Map([['sub1', [42, 57]]]));
 * ledger.eventCount('sub1'); // 2
 * await ledger.eventSeqs('sub1', 1, 2); // [42, 57]
 * ```
 */
export class SubscriptionLedger {
  readonly #numbering = new Map<string, NumberingState>();
  readonly #chunks = new Map<string, ChunkState>();

  constructor(readonly checkpoints: CheckpointStore) {}

  /** Load (or start) the numbering of a subscription. */
  async load(id: string): Promise<NumberingState> {
    let state = this.#numbering.get(id);
    if (!state) {
      state = ((await this.checkpoints.get(numberingKey(id))) as NumberingState | undefined) ?? {
        seq: 0,
        events: 0,
      };
      this.#numbering.set(id, state);
    }
    return state;
  }

  /** Events numbered so far (0 when not loaded). */
  eventCount(id: string): number {
    return this.#numbering.get(id)?.events ?? 0;
  }

  /** The last change seq numbered for a loaded subscription. */
  lastSeq(id: string): number {
    return this.#numbering.get(id)?.seq ?? 0;
  }

  /** Number new events (change seqs, ascending, all after `lastSeq`) and make it durable. */
  async append(batch: Map<string, number[]>): Promise<void> {
    const chunkWrites: Promise<void>[] = [];
    const next = new Map<string, NumberingState>();
    for (const [id, seqs] of batch) {
      const state = await this.load(id);
      let n = state.events;
      const touched = new Map<number, ChunkState>();
      for (const seq of seqs) {
        const index = Math.floor(n / CHUNK);
        const chunk = touched.get(index) ?? (await this.#chunk(id, index));
        chunk.seqs[n % CHUNK] = seq;
        chunk.seq = seq;
        touched.set(index, chunk);
        n++;
      }
      for (const [index, chunk] of touched)
        chunkWrites.push(this.checkpoints.set(chunkKey(id, index), chunk));
      next.set(id, { seq: seqs[seqs.length - 1]!, events: n });
    }
    await Promise.all(chunkWrites);
    await Promise.all([...next].map(([id, state]) => this.checkpoints.set(numberingKey(id), state)));
    for (const [id, state] of next) this.#numbering.set(id, state);
  }

  async #chunk(id: string, index: number): Promise<ChunkState> {
    const key = chunkKey(id, index);
    let chunk = this.#chunks.get(key);
    if (!chunk) {
      chunk = ((await this.checkpoints.get(key)) as ChunkState | undefined) ?? { seq: 0, seqs: [] };
      // Keep only the newest chunk of each subscription in memory.
      this.#chunks.delete(chunkKey(id, index - 1));
      this.#chunks.set(key, chunk);
    }
    return chunk;
  }

  /** The change seqs of event numbers `from … to` (inclusive, clipped to what exists). */
  async eventSeqs(id: string, from: number, to: number): Promise<number[]> {
    const state = await this.load(id);
    const last = Math.min(to, state.events);
    const out: number[] = [];
    for (let n = Math.max(1, from); n <= last; ) {
      const index = Math.floor((n - 1) / CHUNK);
      const chunk =
        this.#chunks.get(chunkKey(id, index)) ??
        ((await this.checkpoints.get(chunkKey(id, index))) as ChunkState | undefined);
      for (; n <= last && Math.floor((n - 1) / CHUNK) === index; n++) {
        const seq = chunk?.seqs[(n - 1) % CHUNK];
        if (seq === undefined) throw new Error(`Event ${n} of subscription ${id} is missing from the ledger`);
        out.push(seq);
      }
    }
    return out;
  }

  async delivery(id: string): Promise<DeliveryState | undefined> {
    return (await this.checkpoints.get(deliveryKey(id))) as DeliveryState | undefined;
  }

  async saveDelivery(id: string, state: DeliveryState): Promise<void> {
    await this.checkpoints.set(deliveryKey(id), state);
  }

  /** Forget a subscription from memory (its durable record stays for `$events`). */
  unload(id: string): void {
    this.#numbering.delete(id);
  }
}
