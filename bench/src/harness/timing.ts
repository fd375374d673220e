/** Monotonic time in milliseconds (fractional), from `process.hrtime`. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * Time one run of `fn`.
 *
 * @example
 * ```ts
 * const { ms, result } = await timed(() => store.commit(ops));
 * ```
 */
export async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

/**
 * Run `fn` `times` times (each run timed on its own) and return the median
 * time; use for short measurements, where one run is noise.
 *
 * @example
 * ```ts
 * const { ms, all } = await medianOf(5, () => iterateLog());
 * ```
 */
export async function medianOf(
  times: number,
  fn: (iteration: number) => Promise<unknown> | unknown,
): Promise<{ ms: number; all: number[] }> {
  const all: number[] = [];
  for (let i = 0; i < times; i++) all.push((await timed(() => fn(i))).ms);
  return { ms: median(all), all };
}

/** The median of some numbers (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `count` things in `ms` milliseconds, per second. */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : Number.POSITIVE_INFINITY;
}

/** Bytes in `ms` milliseconds, in MB (10^6 bytes) per second. */
export function mbPerSecond(bytes: number, ms: number): number {
  return perSecond(bytes, ms) / 1e6;
}
