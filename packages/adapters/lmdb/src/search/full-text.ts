/**
 * `_text` (narrative) and `_content` (all string content) with FlexSearch.
 *
 * The text of each resource is persisted in the search index
 * (`['ft', type, id]` → `{ t, c }`); the FlexSearch indexes live in memory,
 * per generation and resource type, built lazily from LMDB on the first
 * full-text search of a type and then kept current by the projector.
 */
import { resourceText } from '@fhirstream/core';
import { Index } from 'flexsearch';
import type { Database, Key } from 'lmdb';

/** The full text of one resource: narrative (`t`) and all string content (`c`). */
export interface ResourceText {
  t: string;
  c: string;
}

/**
 * The full text of a resource as the index stores it.
 *
 * @example
 * ```ts
 * fullTextOf({ resourceType: 'Patient', text: { div: '<div>Hi <b>Bob</b></div>' }, name: [{ family: 'Smith' }] });
 * // { t: 'Hi Bob', c: 'Hi Bob Smith' }
 * ```
 */
export function fullTextOf(resource: object): ResourceText {
  const { text, content } = resourceText(resource);
  return { t: text, c: content };
}

interface TypeIndexes {
  text: Index;
  content: Index;
}

/** One text update from a projected batch (`text` undefined = removed). */
export interface TextUpdate {
  type: string;
  id: string;
  text: ResourceText | undefined;
}

const newIndex = () => new Index({ tokenize: 'forward', encoder: 'LatinBalance' });

/**
 * In-memory FlexSearch indexes over the persisted text, per generation and type.
 *
 * @example
 * ```ts
 * const ft = new FullTextIndexes();
 * ft.search(db, generation, 'Observation', 'content', 'fever'); // ids
 * ```
 */
export class FullTextIndexes {
  readonly #built = new Map<number, Map<string, TypeIndexes>>();
  /** The most recent batch per generation (committed or in flight), re-applied after a lazy build. */
  readonly #lastBatch = new Map<number, TextUpdate[]>();

  /**
   * Called by the projector with each batch, before its transaction commits;
   * `append` adds to the updates of the batch being applied (one applied in
   * several transactions) instead of starting a new batch.
   */
  update(generation: number, updates: TextUpdate[], append = false): void {
    const last = append ? this.#lastBatch.get(generation) : undefined;
    if (last) last.push(...updates);
    else this.#lastBatch.set(generation, [...updates]);
    const types = this.#built.get(generation);
    if (!types) return;
    for (const u of updates) {
      const idx = types.get(u.type);
      if (idx) apply(idx, u);
    }
  }

  /** Ids of `type` whose narrative (`text`) or content matches every word of `query`. */
  search(
    db: Database<unknown, Key>,
    generation: number,
    type: string,
    field: 'text' | 'content',
    query: string,
  ): string[] {
    const idx = this.#indexes(db, generation, type);
    return (field === 'text' ? idx.text : idx.content).search(query, { limit: 1_000_000 }) as string[];
  }

  /** Forget a generation (after it was dropped). */
  drop(generation: number): void {
    this.#built.delete(generation);
    this.#lastBatch.delete(generation);
  }

  #indexes(db: Database<unknown, Key>, generation: number, type: string): TypeIndexes {
    let types = this.#built.get(generation);
    if (!types) {
      types = new Map();
      this.#built.set(generation, types);
    }
    let idx = types.get(type);
    if (!idx) {
      idx = { text: newIndex(), content: newIndex() };
      for (const { key, value } of db.getRange({ start: ['ft', type], end: ['ft', type, '\u{10FFFF}'] })) {
        const id = (key as Key[])[2] as string;
        apply(idx, { type, id, text: value as ResourceText });
      }
      for (const u of this.#lastBatch.get(generation) ?? []) if (u.type === type) apply(idx, u);
      types.set(type, idx);
    }
    return idx;
  }
}

function apply(idx: TypeIndexes, u: TextUpdate): void {
  idx.text.remove(u.id);
  idx.content.remove(u.id);
  if (!u.text) return;
  if (u.text.t) idx.text.add(u.id, u.text.t);
  if (u.text.c) idx.content.add(u.id, u.text.c);
}
