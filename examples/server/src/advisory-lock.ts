import type { PostgresBackend } from '@fhirstream/postgres';

/** node-postgres's `PoolClient`, by way of the backend (this package does not depend on `pg`). */
type PoolClient = Parameters<Parameters<PostgresBackend['transaction']>[0]>[0];

/**
 * A PostgreSQL session-level advisory lock held on its own connection. When
 * the holder dies (crash, SIGKILL, lost network) the server ends its session
 * and the lock is free again: the basis of the relay's leader election and of
 * the guards against two processes initializing the same thing at once.
 */
export interface HeldLock {
  /** Resolves when the lock was lost without {@link release} (its connection failed). */
  readonly lost: Promise<void>;
  release(): Promise<void>;
}

const lockKey = 'hashtextextended($1, 0)';

/**
 * Take the lock `name` if it is free; `undefined` when another session holds it.
 *
 * @example
 * ```ts
 * const lock = await tryAdvisoryLock(backend, 'fhirstream:relay:main');
 * if (lock) { runRelay(); lock.lost.then(stopRelay); }
 * ```
 */
export async function tryAdvisoryLock(backend: PostgresBackend, name: string): Promise<HeldLock | undefined> {
  const client: PoolClient = await backend.pool.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_lock(${lockKey}) AS locked`,
      [name],
    );
    if (!rows[0]?.locked) {
      client.release();
      return undefined;
    }
  } catch (error) {
    client.release(true);
    throw error;
  }
  return hold(client, name);
}

/**
 * Wait for the lock `name`, run `fn`, release the lock: serializes `fn` across processes.
 *
 * @example
 * ```ts
 * await withAdvisoryLock(backend, 'fhirstream:init:search-index', () => initialize());
 * ```
 */
export async function withAdvisoryLock<T>(
  backend: PostgresBackend,
  name: string,
  fn: () => Promise<T>,
): Promise<T> {
  const client: PoolClient = await backend.pool.connect();
  try {
    await client.query(`SELECT pg_advisory_lock(${lockKey})`, [name]);
  } catch (error) {
    client.release(true);
    throw error;
  }
  const lock = hold(client, name);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

function hold(client: PoolClient, name: string): HeldLock {
  let released = false;
  let markLost!: () => void;
  const lost = new Promise<void>((resolve) => (markLost = resolve));
  const onFailure = () => {
    if (released) return;
    released = true;
    client.release(true);
    markLost();
  };
  client.on('error', onFailure);
  client.on('end', onFailure);
  return {
    lost,
    async release() {
      if (released) return;
      released = true;
      client.off('error', onFailure);
      client.off('end', onFailure);
      try {
        await client.query(`SELECT pg_advisory_unlock(${lockKey})`, [name]);
        client.release();
      } catch {
        client.release(true); // the session ends, and the lock with it
      }
    },
  };
}
