/** Options, fixtures and helpers of the transport conformance suite (see `transport.conformance.ts`). */
import type { ResourceStore } from '../store/create-store.js';
import type { ChangeEvent, Checkpoint, CheckpointStore } from '../store/types.js';
import type { ChangeTransport } from '../transport/types.js';
import { changeEventFromJSON } from '../transport/wire.js';

/** One fresh broker namespace (stream, groups) for one test. */
export interface TransportFixture {
  /** A new client of this namespace, as another process would open it. */
  connect(): Promise<ChangeTransport>;
  /** Delete the stream and its groups (called after every client is closed). */
  teardown(): Promise<void>;
}

/** What a transport passes to {@link runTransportConformance}. */
export interface TransportConformanceOptions {
  /** Shown in the test names, e.g. `nats`. */
  name: string;
  /** A fresh, empty namespace with unique names. Called once per test. */
  setup(): Promise<TransportFixture>;
  /** A fresh store on a real backend (e.g. `openLmdbStore` in a temp dir) for the relay tests. */
  openStore(): Promise<{ store: ResourceStore; dispose(): Promise<void> }>;
  /** The ack wait of the crash tests, in ms (default 1,000). */
  ackWaitMs?: number;
}

/**
 * In-memory {@link CheckpointStore} (a remote side's checkpoints in tests).
 *
 * @example
 * ```ts
 * const checkpoints = memoryCheckpoints();
 * await checkpoints.set('remote/search', { seq: 10 });
 * ```
 */
export function memoryCheckpoints(): CheckpointStore & { data: Map<string, Checkpoint> } {
  const data = new Map<string, Checkpoint>();
  return {
    data,
    get: async (name) => data.get(name),
    set: async (name, checkpoint) => void data.set(name, { ...checkpoint }),
    delete: async (name) => void data.delete(name),
    list: async (prefix = '') => [...data].filter(([k]) => k.startsWith(prefix)),
  };
}

/**
 * `count` change events from seq `from`, cycling through a few resource types.
 *
 * @example
 * ```ts
 * await transport.publish(syntheticEvents(1, 100));
 * ```
 */
export function syntheticEvents(from: number, count: number): ChangeEvent[] {
  const types = ['Patient', 'Observation', 'Encounter'];
  return Array.from({ length: count }, (_, i) => {
    const seq = from + i;
    const resourceType = types[seq % types.length]!;
    const id = `r${seq}`;
    const lastUpdated = new Date(Date.UTC(2024, 0, 1) + seq).toISOString();
    return changeEventFromJSON({
      seq,
      txId: `tx${seq}`,
      action: 'create',
      resourceType,
      id,
      versionId: '1',
      lastUpdated,
      resource: { resourceType, id, meta: { versionId: '1', lastUpdated } },
    });
  });
}

/** Resolve when `check()` holds; fail after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
