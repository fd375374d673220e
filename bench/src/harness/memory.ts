import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MemoryFigures } from './types.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A full garbage collection (twice, to also collect what finalizers released). */
export function fullGc(): void {
  gc();
  gc();
}

/**
 * Watches memory while a workload runs: samples RSS and heapUsed every
 * `intervalMs` (the workloads are async, so the timer gets to run), and also
 * reads the process' peak RSS from the OS.
 *
 * @example
 * ```ts
 * const meter = MemoryMeter.start();
 * await workload.run(ctx);
 * const memory = meter.stop(); // { peakRss, rssDelta, peakHeapUsed, heapUsedDelta }
 * ```
 */
export class MemoryMeter {
  #peakRss: number;
  #peakHeap: number;
  readonly #startRss: number;
  readonly #startHeap: number;
  readonly #startMaxRss: number;
  readonly #timer: NodeJS.Timeout;

  private constructor(intervalMs: number) {
    fullGc();
    const m = process.memoryUsage();
    this.#startRss = this.#peakRss = m.rss;
    this.#startHeap = this.#peakHeap = m.heapUsed;
    this.#startMaxRss = process.resourceUsage().maxRSS * 1024;
    this.#timer = setInterval(() => this.#sample(), intervalMs);
    this.#timer.unref();
  }

  static start(intervalMs = 20): MemoryMeter {
    return new MemoryMeter(intervalMs);
  }

  #sample(): void {
    const m = process.memoryUsage();
    if (m.rss > this.#peakRss) this.#peakRss = m.rss;
    if (m.heapUsed > this.#peakHeap) this.#peakHeap = m.heapUsed;
  }

  stop(): MemoryFigures {
    clearInterval(this.#timer);
    this.#sample();
    const rssAfter = process.memoryUsage().rss;
    // The OS keeps the process-lifetime peak; when it rose during the workload, the workload set it.
    const maxRss = process.resourceUsage().maxRSS * 1024;
    const peakRss = maxRss > this.#startMaxRss ? Math.max(maxRss, this.#peakRss) : this.#peakRss;
    fullGc();
    return {
      peakRss,
      rssDelta: rssAfter - this.#startRss,
      peakHeapUsed: this.#peakHeap,
      heapUsedDelta: process.memoryUsage().heapUsed - this.#startHeap,
    };
  }
}
