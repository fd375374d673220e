/**
 * The search index projector: for each change event it removes the keys the
 * resource's previous version wrote and writes the keys of the new version,
 * plus the resource record and its full text. Extraction runs in `project()`
 * (outside the write lock); the writer only does puts and removes, in the
 * same LMDB transaction as the checkpoint.
 */
import type { ChangeEvent, ExtractedParam } from '@fhirstream/core';
import { extractSearchValues, type SearchParameterRegistry } from '@fhirstream/core';
import type { Database, Key } from 'lmdb';
import type { LmdbBackend } from '../lmdb-backend.js';
import { type LmdbProjector, lmdbProjector } from '../lmdb-projector.js';
import { type FullTextIndexes, fullTextOf } from './full-text.js';
import { indexKeys, type ResourceRecord } from './index-keys.js';

/** The database of one generation of the search index. */
export type SearchIndexDb = Database<unknown, Key>;

/** Name of the search index projector (for `runtime.rebuild` and `waitFor`). */
export const SEARCH_INDEX_PROJECTOR = 'search-index';

/** Bump when the key layout changes: the runtime then rebuilds the index from seq 1. */
const LAYOUT_VERSION = 1;

interface Planned {
  type: string;
  id: string;
  /** Undefined when the last event of the batch deletes the resource. */
  keys?: Key[][];
  sort?: ResourceRecord['s'];
  text?: { t: string; c: string };
  seq: number;
  /** The seq at which the resource's current life began within this batch, if a delete preceded it here. */
  lifeStart?: number;
  /** First event of the batch for this resource was a create (no older life to keep). */
  createdHere: boolean;
}

/**
 * The LMDB projector that feeds the search index.
 *
 * @example
 * ```ts
 * const projector = searchIndexProjector(backend, new SearchParameterRegistry());
 * await runtime.register(projector);
 * projector.db().getRange({ start: ['tc', 'Patient', 'gender', 'male'] });
 * ```
 */
export function searchIndexProjector(
  backend: LmdbBackend,
  registry: SearchParameterRegistry,
  fullText?: FullTextIndexes,
): LmdbProjector<unknown, Key> {
  const projector = lmdbProjector<unknown, Key>(backend, {
    name: SEARCH_INDEX_PROJECTOR,
    version: LAYOUT_VERSION,
    project(batch, _db, ctx) {
      const planned = plan(batch, registry);
      fullText?.update(
        ctx.generation,
        planned.map((p) => ({ type: p.type, id: p.id, text: p.text })),
      );
      return (db) => {
        for (const p of planned) write(db, p);
      };
    },
  });
  const reset = projector.reset!.bind(projector);
  projector.reset = async (generation) => {
    fullText?.drop(generation);
    await reset(generation);
  };
  return projector;
}

function plan(batch: ChangeEvent[], registry: SearchParameterRegistry): Planned[] {
  const byKey = new Map<string, { events: ChangeEvent[] }>();
  for (const e of batch) {
    const k = `${e.resourceType}/${e.id}`;
    let entry = byKey.get(k);
    if (!entry) {
      entry = { events: [] };
      byKey.set(k, entry);
    }
    entry.events.push(e);
  }
  const out: Planned[] = [];
  for (const { events } of byKey.values()) {
    const last = events[events.length - 1]!;
    let lifeStart: number | undefined;
    let deletedHere = false;
    for (const e of events) {
      if (e.action === 'delete') {
        deletedHere = true;
        lifeStart = undefined;
      } else if (lifeStart === undefined && (deletedHere || e.action === 'create')) lifeStart = e.seq;
    }
    const p: Planned = {
      type: last.resourceType,
      id: last.id,
      seq: last.seq,
      createdHere: events[0]!.action === 'create' || deletedHere,
      ...(lifeStart !== undefined ? { lifeStart } : {}),
    };
    const resource = last.action === 'delete' ? undefined : last.resource;
    if (resource) {
      const { keys, sort } = indexKeys(last.resourceType, last.id, paramsOf(resource, last, registry));
      p.keys = keys;
      p.sort = sort;
      p.text = fullTextOf(resource);
    }
    out.push(p);
  }
  return out;
}

const OWN = new Set(['_id', '_lastUpdated', '_text', '_content']);

function paramsOf(resource: object, e: ChangeEvent, registry: SearchParameterRegistry): ExtractedParam[] {
  const lu = Date.parse(e.lastUpdated);
  const params = extractSearchValues(resource, registry).filter((p) => !OWN.has(p.code));
  params.push(
    { code: '_id', type: 'token', values: [{ kind: 'token', code: e.id }] },
    { code: '_lastUpdated', type: 'date', values: [{ kind: 'date', low: lu, high: lu }] },
  );
  return params;
}

function write(db: SearchIndexDb, p: Planned): void {
  const recordKey = ['a', p.type, p.id];
  const keysKey = ['k', p.type, p.id];
  const old = db.get(recordKey) as ResourceRecord | undefined;
  const oldKeys = db.get(keysKey) as Key[][] | undefined;
  if (oldKeys) for (const k of oldKeys) db.remove(k);
  if (!p.keys) {
    if (old) {
      db.remove(recordKey);
      db.remove(keysKey);
      db.remove(['ft', p.type, p.id]);
    }
    return;
  }
  for (const k of p.keys) db.put(k, 1);
  const c = old && !p.createdHere ? old.c : (p.lifeStart ?? old?.c ?? p.seq);
  const record: ResourceRecord = { c, v: p.seq, s: p.sort ?? {} };
  db.put(recordKey, record);
  db.put(keysKey, p.keys);
  db.put(['ty', p.type], 1);
  if (p.text && (p.text.t || p.text.c)) db.put(['ft', p.type, p.id], p.text);
  else if (old) db.remove(['ft', p.type, p.id]);
}
