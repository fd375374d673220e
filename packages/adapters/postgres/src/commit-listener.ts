import type { Notification, Pool, PoolClient } from 'pg';
import { quoteIdent } from './sql-names.js';

/** Reconnect delays after the listening connection is lost, in ms. */
const RETRY_MS = [100, 250, 500, 1000, 2000, 5000];

/**
 * One LISTEN connection (taken from the pool, held until closed) fanning out
 * the `NOTIFY` of every commit — from this process or any other — to the
 * subscribers of `watch`. A commit sends its last seq as the payload, inside
 * its transaction, so notifications arrive only once the commit is visible.
 * After a lost connection it reconnects, then reports the current head so
 * that followers catch up on what they may have missed meanwhile.
 *
 * @example
 * ```ts
 * const listener = new CommitListener(pool, 'fhirstream_commits', headSeq);
 * const stop = listener.subscribe((seq) => console.log('commit up to', seq));
 * ```
 */
export class CommitListener {
  readonly #subscribers = new Set<(seq: number) => void>();
  #client: PoolClient | undefined;
  #connecting: Promise<void> | undefined;
  #closed = false;
  #attempt = 0;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly channel: string,
    private readonly headSeq: () => Promise<number>,
  ) {}

  /** Call `onCommit(seq)` after each commit; returns an unsubscribe. */
  subscribe(onCommit: (seq: number) => void): () => void {
    this.#subscribers.add(onCommit);
    if (!this.#client && !this.#connecting && !this.#retryTimer) this.#connect(false);
    return () => {
      this.#subscribers.delete(onCommit);
    };
  }

  /** Resolves once the listening connection is established (for tests). */
  async ready(): Promise<void> {
    await this.#connecting;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    await this.#connecting;
    const client = this.#client;
    this.#client = undefined;
    // destroyed rather than pooled: it is a session with LISTEN state and our handlers
    client?.release(true);
  }

  #emit(seq: number): void {
    for (const subscriber of this.#subscribers) subscriber(seq);
  }

  #connect(reconnected: boolean): void {
    this.#retryTimer = undefined;
    this.#connecting = (async () => {
      let client: PoolClient | undefined;
      try {
        client = await this.pool.connect();
        client.on('notification', (n: Notification) => {
          if (n.channel === this.channel) this.#emit(Number(n.payload));
        });
        client.on('error', (error) => this.#lost(client!, error));
        await client.query(`LISTEN ${quoteIdent(this.channel)}`);
        if (this.#closed) {
          client.release(true);
          return;
        }
        this.#client = client;
        this.#attempt = 0;
        if (reconnected) this.#emit(await this.headSeq());
      } catch (error) {
        if (client) client.release(error as Error);
        if (!this.#closed) this.#retry();
      } finally {
        this.#connecting = undefined;
      }
    })();
  }

  #lost(client: PoolClient, error: Error): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    client.release(error);
    if (!this.#closed) this.#retry();
  }

  #retry(): void {
    const delay = RETRY_MS[Math.min(this.#attempt++, RETRY_MS.length - 1)]!;
    this.#retryTimer = setTimeout(() => this.#connect(true), delay);
    this.#retryTimer.unref();
  }
}
