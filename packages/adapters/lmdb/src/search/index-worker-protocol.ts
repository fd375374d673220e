/**
 * The messages between the search index projector (main thread) and the
 * index worker. A batch that is a run of consecutive log entries travels as
 * its seq range only: the worker reads the events from the store's log
 * itself, so the main thread neither reads nor copies their bodies. Any
 * other batch travels as plain event headers plus ONE buffer holding every
 * body (transferred, not copied).
 */
import { type ChangeEvent, type SearchParameterDefinition, StoredVersion } from '@fhirstream/core';
import type { LmdbBackendOptions } from '../lmdb-backend.js';
import type { IndexBatch } from './index-writer.js';

/** What the worker is started with (`workerData`). */
export interface IndexWorkerData {
  backend: LmdbBackendOptions;
  /** Whether the registry includes the official R4 parameters. */
  builtIns: boolean;
}

/** A change event without its body: `[start, end)` of the body in the batch's buffer (end 0: no body). */
interface EventHeader {
  seq: number;
  txId: string;
  action: ChangeEvent['action'];
  resourceType: string;
  id: string;
  versionId: string;
  lastUpdated: string;
  start: number;
  end: number;
}

/** A batch as it crosses the thread boundary. */
export interface WireBatch {
  generation: number;
  lastSeq: number;
  events: EventHeader[];
  bodies: Uint8Array;
}

/** A batch of consecutive log entries, `[fromSeq, lastSeq]`, that the worker reads from the log. */
export interface LogRange {
  generation: number;
  fromSeq: number;
  lastSeq: number;
}

/** Requests of the main thread. `registry` is sent when the runtime parameters changed since the last request. */
export type IndexRequest = { id: number } & (
  | { kind: 'apply'; batch: WireBatch | LogRange; registry?: SearchParameterDefinition[] }
  | { kind: 'forget'; generation: number }
  | { kind: 'close' }
);

/** Answers of the worker: `written` for `apply` (see `SearchIndexWriter.apply`); id 0 with `ready` once it started. */
export type IndexResponse =
  | { id: number; ok: true; written?: Array<[string, string]>; ready?: true }
  | { id: number; ok: false; message: string; stack?: string };

const encoder = new TextEncoder();

/**
 * Pack a batch for the worker: the stored bytes of each body (or its JSON
 * when the event carries no bytes) copied into one buffer.
 *
 * @example
 * ```ts
 * const wire = toWire(batch);
 * worker.postMessage({ id: 1, kind: 'apply', batch: wire }, [wire.bodies.buffer]);
 * ```
 */
export function toWire(batch: IndexBatch): WireBatch {
  const bodies = batch.events.map(bodyOf);
  const buffer = new Uint8Array(bodies.reduce((n, b) => n + (b?.length ?? 0), 0));
  let offset = 0;
  const events = batch.events.map((e, i): EventHeader => {
    const { seq, txId, action, resourceType, id, versionId, lastUpdated } = e;
    const body = bodies[i];
    const start = offset;
    if (body) {
      buffer.set(body, offset);
      offset += body.length;
    }
    return { seq, txId, action, resourceType, id, versionId, lastUpdated, start, end: offset };
  });
  return {
    generation: batch.generation,
    lastSeq: batch.lastSeq,
    events,
    bodies: buffer,
  };
}

/** The stored bytes of an event's resource (its JSON when the event has no bytes), none for a delete. */
function bodyOf(e: ChangeEvent): Uint8Array | undefined {
  if (e.action === 'delete') return undefined;
  const stored = (e as { body?: Uint8Array }).body;
  if (stored) return stored;
  return e.resource ? encoder.encode(JSON.stringify(e.resource)) : undefined;
}

/**
 * Unpack a batch in the worker: each event a {@link StoredVersion} over its slice of the buffer.
 *
 * @example
 * ```ts
 * const batch = fromWire(request.batch);
 * await writer.apply(batch);
 * ```
 */
export function fromWire(wire: WireBatch): IndexBatch {
  const events = wire.events.map(
    ({ start, end, ...record }) =>
      new StoredVersion(record, end > start ? wire.bodies.subarray(start, end) : undefined),
  );
  return { generation: wire.generation, lastSeq: wire.lastSeq, events };
}

/**
 * The batch as a log range when its events are consecutive log entries
 * (seq `first … last` without a gap), else undefined.
 *
 * @example
 * ```ts
 * logRange({ generation: 1, lastSeq: 3, events }); // { generation: 1, fromSeq: 1, lastSeq: 3 } for seqs 1, 2, 3
 * ```
 */
export function logRange(batch: IndexBatch): LogRange | undefined {
  const { events } = batch;
  const first = events[0]?.seq;
  if (first === undefined || events[events.length - 1]!.seq !== batch.lastSeq) return undefined;
  for (let i = 1; i < events.length; i++) if (events[i]!.seq !== first + i) return undefined;
  return { generation: batch.generation, fromSeq: first, lastSeq: batch.lastSeq };
}

/** Whether a request's batch is a {@link LogRange}. */
export const isLogRange = (batch: WireBatch | LogRange): batch is LogRange => 'fromSeq' in batch;

/**
 * Read a log range's events in the worker; fails when the log does not hold
 * exactly those entries (the runtime then retries the batch).
 *
 * @example
 * ```ts
 * const batch = await readLogRange(backend, { generation: 1, fromSeq: 1, lastSeq: 3 });
 * ```
 */
export async function readLogRange(
  log: { readChanges(fromSeq: number, limit: number): Promise<ChangeEvent[]> },
  range: LogRange,
): Promise<IndexBatch> {
  const count = range.lastSeq - range.fromSeq + 1;
  const events = await log.readChanges(range.fromSeq, count);
  const last = events[events.length - 1]?.seq;
  if (events.length !== count || events[0]?.seq !== range.fromSeq || last !== range.lastSeq)
    throw new Error(
      `the log does not hold seq ${range.fromSeq}–${range.lastSeq} as the main thread read them`,
    );
  return { generation: range.generation, lastSeq: range.lastSeq, events };
}
