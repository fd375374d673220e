import { merge, type Observable, Observable as RxObservable, timer } from 'rxjs';
import type { ChangeEvent } from '../store/types.js';

/** Where {@link followChanges} reads and what wakes it. */
export interface ChangeSource {
  readChanges(fromSeq: number, limit: number): Promise<ChangeEvent[]>;
  /** Emits (any value) after each durable commit. */
  readonly commits$: Observable<unknown>;
}

/** Options of {@link followChanges}. */
export interface FollowOptions {
  /** Events read per batch (default 1,000). */
  batchSize?: number;
  /** Also poll every this many ms, for writers in other processes (default: no polling). */
  pollIntervalMs?: number;
}

/**
 * Replay the change log from `fromSeq` (inclusive) and continue live. Replay
 * and live are one code path: the stream always reads the log itself, by
 * position, and a commit only wakes it up — so there is no gap and no
 * duplicate at the seam between the two.
 *
 * @example
 * ```ts
 * const sub = followChanges(store, 1).subscribe((e) => console.log(e.seq, e.action, e.id));
 * ```
 */
export function followChanges(
  source: ChangeSource,
  fromSeq = 1,
  options: FollowOptions = {},
): Observable<ChangeEvent> {
  const batchSize = options.batchSize ?? 1000;
  return new RxObservable<ChangeEvent>((subscriber) => {
    let next = Math.max(1, fromSeq);
    let running = false;
    let again = false;
    let stopped = false;

    const pump = async (): Promise<void> => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          for (;;) {
            const batch = await source.readChanges(next, batchSize);
            if (stopped) return;
            for (const event of batch) subscriber.next(event);
            if (batch.length > 0) next = batch[batch.length - 1]!.seq + 1;
            if (batch.length < batchSize) break;
          }
        } while (again && !stopped);
      } catch (error) {
        if (!stopped) subscriber.error(error);
      } finally {
        running = false;
      }
    };

    const wakeups = options.pollIntervalMs
      ? merge(source.commits$, timer(options.pollIntervalMs, options.pollIntervalMs))
      : source.commits$;
    const wake = wakeups.subscribe({ next: () => void pump(), complete: () => subscriber.complete() });
    void pump();
    return () => {
      stopped = true;
      wake.unsubscribe();
    };
  });
}
