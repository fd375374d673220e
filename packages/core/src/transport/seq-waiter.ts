import { FhirError } from '../errors/fhir-error.js';

/**
 * Promises that resolve once a position has reached a seq; the position only
 * moves forward. Used by the relay and the remote projector for `waitFor`.
 *
 * @example
 * ```ts
 * const waiter = new SeqWaiter('relay main');
 * const reached = waiter.waitFor(10, 1000);
 * waiter.advance(12); // resolves `reached`
 * ```
 */
export class SeqWaiter {
  #position = 0;
  #waiting = new Set<{ seq: number; resolve: () => void }>();

  constructor(private readonly what: string) {}

  get position(): number {
    return this.#position;
  }

  advance(seq: number): void {
    if (seq <= this.#position) return;
    this.#position = seq;
    for (const w of this.#waiting) {
      if (w.seq <= seq) {
        this.#waiting.delete(w);
        w.resolve();
      }
    }
  }

  waitFor(seq: number, timeoutMs: number): Promise<void> {
    if (this.#position >= seq) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const entry = {
        seq,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.#waiting.delete(entry);
        reject(
          new FhirError(
            'timeout',
            `${this.what} did not reach seq ${seq} within ${timeoutMs} ms (at ${this.#position})`,
          ),
        );
      }, timeoutMs);
      this.#waiting.add(entry);
    });
  }
}
