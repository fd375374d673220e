import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Expensive setup shared by the workloads of one run (e.g. a store holding
 * all of Synthea): built by the first workload that asks, in its own folder
 * under the run's temp directory, and kept until the run ends.
 *
 * @example
 * ```ts
 * const path = await ctx.fixtures.get('synthea-store', async (dir) => {
 *   await fillStore(dir);
 *   return dir;
 * });
 * ```
 */
export class Fixtures {
  readonly #built = new Map<string, Promise<unknown>>();

  constructor(private readonly root: string) {}

  get<T>(key: string, build: (dir: string) => Promise<T>): Promise<T> {
    let value = this.#built.get(key) as Promise<T> | undefined;
    if (!value) {
      const dir = join(this.root, key.replace(/[^\w.-]/g, '_'));
      mkdirSync(dir, { recursive: true });
      value = build(dir);
      this.#built.set(key, value);
      // A failed build is not cached: the next workload tries again.
      value.catch(() => this.#built.delete(key));
    }
    return value;
  }
}
