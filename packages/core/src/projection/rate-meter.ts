/**
 * Events per second over a sliding window.
 *
 * @example
 * ```ts
 * const meter = new RateMeter();
 * meter.add(500);
 * meter.perSecond();
 * ```
 */
export class RateMeter {
  #samples: Array<[number, number]> = [];

  constructor(private readonly windowMs = 5000) {}

  add(count: number, at = Date.now()): void {
    this.#samples.push([at, count]);
    this.#trim(at);
  }

  perSecond(at = Date.now()): number {
    this.#trim(at);
    if (this.#samples.length === 0) return 0;
    const total = this.#samples.reduce((sum, [, n]) => sum + n, 0);
    const span = Math.max(1000, at - this.#samples[0]![0]);
    return Math.round((total * 1000) / span);
  }

  #trim(at: number): void {
    while (this.#samples.length > 0 && this.#samples[0]![0] < at - this.windowMs) this.#samples.shift();
  }
}
