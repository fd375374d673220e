import type { Checkpoint, CheckpointStore } from '@fhirstream/core';
import type { Database } from 'lmdb';

/**
 * Durable checkpoints in an LMDB database (name → JSON-able checkpoint).
 *
 * @example
 * ```ts
 * const checkpoints = new LmdbCheckpoints(env.openDB({ name: 'checkpoints' }));
 * await checkpoints.set('search', { seq: 42 });
 * ```
 */
export class LmdbCheckpoints implements CheckpointStore {
  constructor(readonly db: Database<Checkpoint, string>) {}

  async get(name: string): Promise<Checkpoint | undefined> {
    return this.db.get(name);
  }

  async set(name: string, checkpoint: Checkpoint): Promise<void> {
    await this.db.put(name, checkpoint);
  }

  async delete(name: string): Promise<void> {
    await this.db.remove(name);
  }

  async list(prefix = ''): Promise<Array<[string, Checkpoint]>> {
    const out: Array<[string, Checkpoint]> = [];
    for (const { key, value } of this.db.getRange({ start: prefix })) {
      if (!key.startsWith(prefix)) break;
      out.push([key, value]);
    }
    return out;
  }
}
