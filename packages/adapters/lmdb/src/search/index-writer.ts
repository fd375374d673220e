/**
 * Writes batches of change events into the search index: for each resource
 * it removes the keys of the version indexed (re-derived from the store: the
 * keys are not stored) that its new version does not write, and writes the
 * new ones, plus the resource record (its full text is read when needed, see
 * `full-text.ts`). A batch is applied as
 * a pipeline of chunks: extraction of a chunk runs on this thread while
 * lmdb-js's write thread still writes the chunks before it; index keys are
 * written with a constant pre-encoded value and pre-encoded `[tag, type,
 * code]` and id elements.
 *
 * The same writer runs on the main thread (small batches) and in the index
 * worker (large ones, see `index-worker.ts`): each opens the LMDB databases
 * of the environment it is given.
 */

import type { ChangeEvent, SearchParameterRegistry, StoredResource } from '@fhirstream/core';
import { groupByResource, indexedParams, lifeInBatch } from '@fhirstream/core';
import { asBinary, type Database, type Key } from 'lmdb';
import { lmdbKeyBytes as encodeKey, ID_KEY_ENCODER, type IdKeysDb } from './id-keys.js';
import { generationCheckpoint, type SearchIndexEnv } from './index-env.js';
import { indexKeys, type ResourceRecord, resourceKeys, type TokenText, wordTailKeys } from './index-keys.js';

/** The database of one generation of the search index. */
export type SearchIndexDb = Database<unknown, Key>;

/** Name of the search index projector (for `runtime.rebuild` and `waitFor`). */
export const SEARCH_INDEX_PROJECTOR = 'search-index';

/** The LMDB name of one generation of the search index (in its own environment). */
export const indexDbName = (generation: number) => `g${generation}`;

/** The value of every index key: msgpack `1`, written as is (no encoding per put). */
const ONE = asBinary(Uint8Array.of(1));

/** Reads one stored version (for the keys an indexed older version wrote). */
export type VersionReader = (
  type: string,
  id: string,
  versionId: string,
) => Promise<StoredResource | undefined>;

/** One batch for {@link SearchIndexWriter.apply}. */
export interface IndexBatch {
  generation: number;
  /** Saved with the last chunk as the generation's checkpoint. */
  lastSeq: number;
  events: readonly ChangeEvent[];
}

interface Planned {
  type: string;
  id: string;
  /** Undefined when the last event of the batch deletes the resource. */
  keys?: Key[][];
  /** Keys of the indexed version before this batch that the new version does not write (undefined: none). */
  stale?: Key[][];
  /** Keys of `keys` the version before this batch wrote already (no put needed). */
  kept?: Set<Key[]>;
  sort?: ResourceRecord['s'];
  /** Token texts of the new version (their shared `tw` keys are written once per text). */
  texts?: TokenText[];
  seq: number;
  vid: string;
  /** The seq at which the resource's current life began within this batch, if a delete preceded it here. */
  lifeStart?: number;
  /** First event of the batch for this resource was a create (no older life to keep). */
  createdHere: boolean;
  /** The record of the version indexed before this batch (none: nothing of the resource is in the index). */
  old?: ResourceRecord;
}

/**
 * Applies batches to the search index databases of one LMDB environment.
 *
 * @example
 * ```ts
 * const writer = new SearchIndexWriter(openSearchIndexEnv('./.data'), registry, backend.readVersion);
 * const changed = await writer.apply({ generation: 1, lastSeq: 2, events });
 * // changed: the [type, id] of every resource whose full text may have changed
 * ```
 */
export class SearchIndexWriter {
  readonly #dbs = new Map<number, SearchIndexDb>();
  readonly #idDbs = new Map<number, IdKeysDb>();
  /** Per generation, the token texts whose `tw` keys are committed (ids from {@link newTexts}). */
  readonly #knownTexts = new Map<number, Set<string>>();

  constructor(
    private readonly env: SearchIndexEnv,
    private readonly registry: SearchParameterRegistry,
    private readonly readVersion: VersionReader,
  ) {}

  /** This writer's handle on the database of `generation`. */
  db(generation: number): SearchIndexDb {
    // Plain msgpack maps: records' sort values vary in shape, which msgpackr's shared records handle slower.
    return this.#handle(this.#dbs, generation, { useRecords: false });
  }

  /** A handle on the database of `generation` whose keys read as their id (see `id-keys.ts`). */
  ids(generation: number): IdKeysDb {
    return this.#handle(this.#idDbs, generation, { keyEncoder: ID_KEY_ENCODER });
  }

  /** The cached handle on a generation's database, opened with `options` (lmdb options its typings leave out). */
  #handle(cache: Map<number, SearchIndexDb>, generation: number, options: object): SearchIndexDb {
    let db = cache.get(generation);
    if (!db) {
      db = this.env.root.openDB<unknown, Key>({ name: indexDbName(generation), ...options } as {
        name: string;
      });
      cache.set(generation, db);
    }
    return db;
  }

  /** Forget what this writer remembers of a generation (it was dropped). */
  forget(generation: number): void {
    this.#dbs.delete(generation);
    this.#idDbs.delete(generation);
    this.#knownTexts.delete(generation);
  }

  /**
   * Apply a batch as a pipeline of chunks: each chunk is planned (extraction,
   * on this thread) while lmdb-js's write thread still writes the chunks
   * before it. Each chunk is its own LMDB transaction; the last one also
   * saves the checkpoint. Replaying a batch after a crash between two chunk
   * commits is safe: every resource of a chunk is planned from what the
   * index holds for it (its record names the version indexed, whose keys are
   * re-derived and removed), and its record keeps its life start.
   * Resolves to the `[type, id]` of the resources written.
   */
  async apply(batch: IndexBatch): Promise<Array<[string, string]>> {
    const db = this.db(batch.generation);
    const groups = groupByResource(batch.events);
    const commits: Promise<unknown>[] = [];
    let known = this.#knownTexts.get(batch.generation);
    if (!known || known.size > MAX_KNOWN_TEXTS) {
      known = new Set();
      this.#knownTexts.set(batch.generation, known);
    }
    /** Texts whose tails this batch writes (known once it committed). */
    const queued = new Set<string>();
    const written: Array<[string, string]> = [];
    // Nothing of this batch is in the index yet (no earlier attempt committed a chunk of it): a resource
    // the batch creates has no record to read.
    const fresh = highWater(db) < (batch.events[0]?.seq ?? 0);
    try {
      for (let i = 0, first = true; i < groups.length || first; first = false) {
        let n = 0;
        const chunk: ChangeEvent[][] = [];
        while (i < groups.length && n < CHUNK_EVENTS) {
          const events = groups[i++]!;
          chunk.push(events);
          n += events.length;
        }
        const planned = await plan(chunk, this.registry, this.readVersion, db, fresh);
        for (const p of planned) written.push([p.type, p.id]);
        const tails: Key[][] = [];
        for (const [id, text] of newTexts(planned, known)) {
          if (queued.has(id)) continue;
          queued.add(id);
          for (const k of wordTailKeys(text)) tails.push(k);
        }
        const last = i >= groups.length;
        commits.push(
          this.env.root.batch(() => {
            writeAll(db, planned, tails);
            raiseHighWater(db, chunk);
            if (last)
              this.env.checkpoints.put(generationCheckpoint(batch.generation), { seq: batch.lastSeq });
          }),
        );
      }
    } finally {
      const settled = await Promise.allSettled(commits);
      const failed = settled.find((r) => r.status === 'rejected');
      // biome-ignore lint/correctness/noUnsafeFinally: a failed commit fails the batch (it is retried)
      if (failed) throw failed.reason;
    }
    for (const id of queued) known.add(id);
    return written;
  }
}

/** The key of the highest seq whose keys are written (an upper bound of every record's `c`). */
export const HIGH_WATER_KEY = ['hw'];

/**
 * The index's high-water mark: every index transaction raises it, so
 * structures derived from the index are valid while it stays the same.
 *
 * @example
 * ```ts
 * highWater(db) <= snapshot; // nothing indexed after the snapshot
 * ```
 */
export const highWater = (db: SearchIndexDb): number => (db.get(HIGH_WATER_KEY) as number | undefined) ?? 0;

/** Raise the high-water mark to the last seq of a chunk (inside its write transaction). */
function raiseHighWater(db: SearchIndexDb, chunk: ChangeEvent[][]): void {
  let max = highWater(db);
  for (const events of chunk) for (const e of events) if (e.seq > max) max = e.seq;
  db.put(HIGH_WATER_KEY, max);
}

/** Events per pipelined chunk of a batch (see `apply`). */
const CHUNK_EVENTS = 500;
/** Token texts remembered per generation before the memory starts over (it only saves rewriting `tw` keys). */
const MAX_KNOWN_TEXTS = 200_000;

/** The distinct token texts of planned resources not in `known`, by id. */
function newTexts(planned: Planned[], known: Set<string>): Map<string, TokenText> {
  const out = new Map<string, TokenText>();
  for (const p of planned)
    for (const t of p.texts ?? []) {
      const id = `${t.type}\u0000${t.code}\u0000${t.text}`;
      if (!known.has(id)) out.set(id, t);
    }
  return out;
}

/** The writes of planned resources (synchronous: puts and removes, one record read for updates). */
function writeAll(db: SearchIndexDb, planned: Planned[], tails: Key[][]): void {
  for (const k of tails) db.put(k, ONE);
  const types = new Set<string>();
  // Index keys grouped by `[tag, type, code]`: consecutive puts then land in neighbouring B-tree pages.
  const groups = new Map<Uint8Array, Key[][]>();
  for (const p of planned) {
    write(db, p, groups);
    if (p.keys) types.add(p.type);
  }
  for (const keys of groups.values()) for (const k of keys) db.put(k, ONE);
  for (const type of types) db.put(['ty', type], ONE);
}

async function plan(
  groups: Iterable<ChangeEvent[]>,
  registry: SearchParameterRegistry,
  readVersion: VersionReader,
  db: SearchIndexDb,
  fresh: boolean,
): Promise<Planned[]> {
  const out: Planned[] = [];
  for (const events of groups) {
    const last = events[events.length - 1]!;
    const p: Planned = {
      type: last.resourceType,
      id: last.id,
      seq: last.seq,
      vid: last.versionId,
      ...lifeInBatch(events),
    };
    const resource = last.action === 'delete' ? undefined : last.resource;
    if (resource) {
      const { keys, sort, texts } = indexKeys(
        last.resourceType,
        last.id,
        indexedParams(resource, last.id, last.lastUpdated, registry),
      );
      p.keys = keys;
      p.sort = sort;
      p.texts = texts;
    }
    // What the index holds for the resource is the version its record names, whatever the batch boundaries
    // were when it was written (a batch whose first chunks committed before a crash is replayed safely).
    if (fresh && events[0]!.action === 'create') {
      out.push(p);
      continue;
    }
    const old = db.get(['a', p.type, p.id]) as ResourceRecord | undefined;
    if (old) {
      p.old = old;
      const keys = await indexedKeys(readVersion, registry, p.type, p.id, old.vid);
      if (keys.length > 0) diff(p, keys);
    }
    out.push(p);
  }
  return out;
}

/** The keys one indexed version wrote (none if it cannot be read or is a delete). */
async function indexedKeys(
  readVersion: VersionReader,
  registry: SearchParameterRegistry,
  type: string,
  id: string,
  vid: string,
): Promise<Key[][]> {
  const version = await readVersion(type, id, vid);
  if (!version || version.deleted || !version.resource) return [];
  return resourceKeys(type, id, version.resource, version.lastUpdated, registry);
}

/** Split the old keys into those to remove and those the new version keeps. */
function diff(p: Planned, old: Key[][]): void {
  const id = (k: Key[]) => k.join('\u0000');
  const next = new Map<string, Key[]>();
  for (const k of p.keys ?? []) next.set(id(k), k);
  const stale: Key[][] = [];
  const kept = new Set<Key[]>();
  for (const k of old) {
    const same = next.get(id(k));
    if (same) kept.add(same);
    else stale.push(k);
  }
  p.stale = stale;
  p.kept = kept;
}

const prefixes = new Map<string, Map<string, Map<string, Uint8Array>>>();

/** The encoded `[tag, type, code]` of an index key (cached: there are few). */
function prefixOf(tag: string, type: string, code: string): Uint8Array {
  let byType = prefixes.get(tag);
  if (!byType) {
    byType = new Map();
    prefixes.set(tag, byType);
  }
  let byCode = byType.get(type);
  if (!byCode) {
    byCode = new Map();
    byType.set(type, byCode);
  }
  let bytes = byCode.get(code);
  if (!bytes) {
    bytes = Uint8Array.from(encodeKey([tag, type, code]));
    byCode.set(code, bytes);
  }
  return bytes;
}

/**
 * The same key with its `[tag, type, code]` prefix and its id (last element)
 * as pre-encoded bytes: ordered-binary copies a byte element as is and
 * separates elements with a 0 byte, so the encoded key is identical, at a
 * fraction of the encoding work (most of a key's characters are there).
 */
function preEncoded(k: Key[], id: Uint8Array): Key[] {
  const out: Key[] = [prefixOf(k[0] as string, k[1] as string, k[2] as string)];
  for (let i = 3; i < k.length - 1; i++) out.push(k[i]!);
  out.push(id);
  return out;
}

/** Add the pre-encoded key to the group of its `[tag, type, code]`. */
function addGrouped(groups: Map<Uint8Array, Key[][]>, k: Key[], id: Uint8Array): void {
  const out = preEncoded(k, id);
  const prefix = out[0] as Uint8Array;
  const group = groups.get(prefix);
  if (group) group.push(out);
  else groups.set(prefix, [out]);
}

function write(db: SearchIndexDb, p: Planned, groups: Map<Uint8Array, Key[][]>): void {
  const recordKey = ['a', p.type, p.id];
  const id = Uint8Array.from(encodeKey(p.id));
  if (p.stale) for (const k of p.stale) db.remove(preEncoded(k, id));
  if (!p.keys) {
    if (p.old) db.remove(recordKey);
    return;
  }
  const old = p.createdHere ? undefined : p.old;
  for (const k of p.keys) if (!p.kept?.has(k)) addGrouped(groups, k, id);
  const c = old ? old.c : (p.lifeStart ?? p.seq);
  const record: ResourceRecord = { c, v: p.seq, vid: p.vid, s: p.sort ?? {} };
  db.put(recordKey, record);
}
