/**
 * `_text` (narrative) and `_content` (all string content) with FlexSearch.
 *
 * Nothing of it is written per resource: the FlexSearch indexes live in
 * memory, per generation and resource type, built lazily on the first
 * full-text search of a type from the versions the index's records name
 * (read from the store), and then kept current by the projector, which
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

/** What the index's record of a resource says (`['a', type, id]`): the version indexed. */
interface Indexed {
  vid: string;
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

/** Reads the resource of one stored version (synchronously). */
export type SyncVersionReader = (
  type: string,
  id: string,
  versionId: string,
) => { resource?: object } | undefined;

/**
 * In-memory FlexSearch indexes over the text of the indexed versions, per generation and type.
 *
 * @example
 * ```ts
 * const ft = new FullTextIndexes((type, id, vid) => backend.readVersionSync(type, id, vid));
 * ft.search(db, generation, 'Observation', 'content', 'fever'); // ids
 * ```
 */
export class FullTextIndexes {
  constructor(private readonly read: SyncVersionReader) {}

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
      if (idx) apply(idx, { type, id, text: this.#textOf(type, id, db.get(['a', type, id]) as Indexed) });
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

  /** The text of the version a record names (none when there is no record). */
  #textOf(type: string, id: string, record: Indexed | undefined): ResourceText | undefined {
    if (!record) return undefined;
    const resource = this.read(type, id, record.vid)?.resource;
    return resource ? fullTextOf(resource) : undefined;
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
      for (const { key, value } of db.getRange({ start: ['a', type], end: ['a', type, '\u{10FFFF}'] })) {
        const id = (key as Key[])[2] as string;
        apply(idx, { type, id, text: this.#textOf(type, id, value as Indexed) });
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
