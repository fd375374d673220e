/**
 * The `p`-th percentile (0–100) of some numbers: the value at index
 * `floor(p/100 × n)` of the sorted values (the highest for p99 of < 100).
 *
 * @example
 * ```ts
 * percentile([5, 1, 3], 50); // 3
 * ```
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Round to 2 decimals (for ms figures). */
export const round2 = (n: number): number => Math.round(n * 100) / 100;

/** Resolve after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Poll `check` every 10 ms until it holds; reject after `timeoutMs`.
 *
 * @example
 * ```ts
 * await until(() => received.length >= 100, 10_000, 'deliveries');
 * ```
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
    await sleep(10);
  }
}
