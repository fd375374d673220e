/** Exponential backoff settings. */
export interface BackoffOptions {
  /** First delay in ms (default 100). */
  initialMs?: number;
  /** Longest delay in ms (default 30,000). */
  maxMs?: number;
}

/**
 * The delay before retry number `attempt` (1-based): `initial * 2^(attempt-1)`, capped, with ±20% jitter.
 *
 * @example
 * ```ts
 * backoffDelay(3, { initialMs: 100 }); // about 400
 * ```
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 30_000;
  const base = Math.min(max, initial * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** Resolve after `ms`, or early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
