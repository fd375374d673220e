import type { StoredResource } from './types.js';

/**
 * The current versions of recently read resources, least recently used
 * evicted first. Every commit invalidates what it writes (the next read
 * fills it again), so it is only used when this process is the store's only
 * writer.
 *
 * @example
 * ```ts
 * const cache = new ReadCache(10_000);
 * cache.set('Patient/1', stored);
 * cache.get('Patient/1');
 * ```
 */
export class ReadCache {
  readonly #entries = new Map<string, StoredResource>();

  constructor(private readonly capacity: number) {}

  get(key: string): StoredResource | undefined {
    const hit = this.#entries.get(key);
    if (hit) {
      // refresh its place in the LRU order
      this.#entries.delete(key);
      this.#entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: StoredResource): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
