/**
 * `_text` (narrative) and `_content` (all string content) with FlexSearch.
 *
 * The text of each resource is persisted in the search index
 * (`['ft', type, id]` → `{ t, c }`); the FlexSearch indexes live in memory,
 * per generation and resource type, built lazily from LMDB on the first
 * full-text search of a type and then kept current by the projector, which
 * hands over the resources of each batch once it committed.
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

  /**
   * Called by the projector after each batch committed, with the resources
   * it wrote: the indexes built so far re-read their text from LMDB.
   */
  refresh(
    db: Database<unknown, Key>,
    generation: number,
    written: ReadonlyArray<readonly [string, string]>,
  ): void {
    const types = this.#built.get(generation);
    if (!types || types.size === 0) return;
    for (const [type, id] of written) {
      const idx = types.get(type);
      if (idx) apply(idx, { type, id, text: db.get(['ft', type, id]) as ResourceText | undefined });
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
