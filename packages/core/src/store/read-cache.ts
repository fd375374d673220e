import type { StoredResource } from './types.js';

/**
 * The current versions of recently read resources, evicted roughly least
 * recently used first. Every commit invalidates what it writes (the next read
 * fills it again), so it is only used when this process is the store's only
 * writer.
 *
 * Two generations instead of an exact LRU list: entries go into the young
 * generation; when it holds half the capacity, it becomes the old one and the
 * previous old one is dropped. A hit in the young generation costs one map
 * lookup (an exact LRU reorders its list on every hit); a hit in the old one
 * moves the entry back to the young one. At most `capacity` entries are held.
 *
 * @example
 * ```ts
 * const cache = new ReadCache(10_000);
 * cache.set('Patient/1', stored);
 * cache.get('Patient/1');
 * ```
 */
export class ReadCache {
  #young = new Map<string, StoredResource>();
  #old = new Map<string, StoredResource>();
  readonly #half: number;

  constructor(capacity: number) {
    this.#half = Math.max(1, Math.floor(capacity / 2));
  }

  get(key: string): StoredResource | undefined {
    const hit = this.#young.get(key);
    if (hit !== undefined) return hit;
    const old = this.#old.get(key);
    if (old !== undefined) {
      this.#old.delete(key);
      this.#add(key, old);
    }
    return old;
  }

  set(key: string, value: StoredResource): void {
    this.#old.delete(key);
    if (this.#young.has(key)) this.#young.set(key, value);
    else this.#add(key, value);
  }

  delete(key: string): void {
    this.#young.delete(key);
    this.#old.delete(key);
  }

  clear(): void {
    this.#young.clear();
    this.#old.clear();
  }

  /** Entries held (at most the capacity). */
  get size(): number {
    return this.#young.size + this.#old.size;
  }

  #add(key: string, value: StoredResource): void {
    if (this.#young.size >= this.#half) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(key, value);
  }
}
