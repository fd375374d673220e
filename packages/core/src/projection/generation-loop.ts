import type { ResourceStore } from '../store/create-store.js';
import type { ChangeEvent } from '../store/types.js';
import { type BackoffOptions, backoffDelay, sleep } from './backoff.js';
import { RateMeter } from './rate-meter.js';
import type { Projector, ProjectorError, ProjectorStatus } from './types.js';

/** What a {@link GenerationLoop} needs. */
export interface GenerationLoopOptions {
  projector: Projector;
  store: ResourceStore;
  generation: number;
  checkpointKey: string;
  batchSize: number;
  backoff: BackoffOptions;
  onError: (error: ProjectorError) => void;
  onProgress: (loop: GenerationLoop) => void;
  /** Called each time the loop finds nothing more to read (it has caught up with the head). */
  onCaughtUp?: (loop: GenerationLoop) => void;
}

/**
 * Feeds one generation of one projector: read a batch after the checkpoint,
 * apply it (retrying with backoff until it succeeds — never skipping), save
 * the checkpoint, repeat; sleep until woken when caught up. Replay and live
 * are the same loop.
 */
export class GenerationLoop {
  checkpoint = 0;
  state: ProjectorStatus['state'] = 'idle';
  lastError: ProjectorStatus['lastError'];
  onCaughtUp: GenerationLoopOptions['onCaughtUp'];
  readonly meter = new RateMeter();
  #pendingCheckpoint: number | undefined;
  #checkpointWrite: Promise<void> | undefined;
  #selfCheckpointing = false;
  private readFailures = 0;
  readonly #abort = new AbortController();
  #woken = false;
  #wake: (() => void) | undefined;
  #done: Promise<void> | undefined;

  constructor(private readonly options: GenerationLoopOptions) {
    this.onCaughtUp = options.onCaughtUp;
  }

  get generation(): number {
    return this.options.generation;
  }

  /** Load the checkpoint and run until {@link stop}. */
  start(): void {
    this.#done ??= this.#run();
  }

  /** There may be new events. */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    this.#wake?.();
    await this.#done;
    await this.#flushCheckpoint();
    this.state = 'stopped';
  }

  /**
   * Save the checkpoint without waiting for it: at most one write is in
   * flight and the newest seq replaces a pending one. The loop reads the next
   * batch meanwhile; it waits for the write before idling and on stop. A crash
   * replays at most the batches since the last write (at-least-once).
   */
  #saveCheckpoint(seq: number): void {
    this.#pendingCheckpoint = seq;
    this.#checkpointWrite ??= this.#writeCheckpoints();
  }

  async #writeCheckpoints(): Promise<void> {
    const { store, checkpointKey } = this.options;
    try {
      for (let failures = 0; this.#pendingCheckpoint !== undefined; ) {
        const seq = this.#pendingCheckpoint;
        this.#pendingCheckpoint = undefined;
        try {
          await store.checkpoints.set(checkpointKey, { seq });
          failures = 0;
        } catch (error) {
          this.#pendingCheckpoint ??= seq;
          failures += 1;
          const retryInMs = backoffDelay(failures, this.options.backoff);
          this.options.onError({
            name: this.options.projector.name,
            generation: this.generation,
            error,
            attempts: failures,
            retryInMs,
            fromSeq: seq,
          });
          if (this.#abort.signal.aborted && failures > 3) return;
          await sleep(retryInMs);
        }
      }
    } finally {
      this.#checkpointWrite = undefined;
    }
  }

  async #flushCheckpoint(): Promise<void> {
    while (this.#checkpointWrite) await this.#checkpointWrite;
  }

  async #run(): Promise<void> {
    const { store, checkpointKey, batchSize, projector } = this.options;
    const signal = this.#abort.signal;
    // A projector that keeps its checkpoint with its own data says where it is; otherwise the runtime's applies.
    const own = projector.checkpoint ? await projector.checkpoint(this.options.generation) : undefined;
    this.checkpoint = own ?? (await store.checkpoints.get(checkpointKey))?.seq ?? 0;
    let size = batchSize;
    while (!signal.aborted) {
      this.#woken = false;
      const batch = await this.#read(store, size);
      if (batch === undefined) continue;
      // Far behind (a full batch): read larger batches, up to 8x; caught up: back to the base size.
      size = batch.length === size ? Math.min(size * 2, batchSize * 8) : batchSize;
      if (batch.length === 0) {
        await this.#flushCheckpoint();
        this.state = 'idle';
        this.onCaughtUp?.(this);
        if (!this.#woken && !signal.aborted) await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
        continue;
      }
      this.state = 'running';
      const last = batch[batch.length - 1]!.seq;
      const relevant = projector.handles ? batch.filter((e) => projector.handles!(e)) : batch;
      // A projector that saves its own checkpoint must not race an older one the loop is still writing.
      if (this.#selfCheckpointing && relevant.length > 0) await this.#flushCheckpoint();
      const applied = relevant.length > 0 ? await this.#applyWithRetry(relevant, last) : 'applied';
      if (applied === 'aborted') return;
      if (applied === 'applied') this.#saveCheckpoint(last);
      else this.#selfCheckpointing = true;
      this.checkpoint = last;
      this.meter.add(batch.length);
      this.options.onProgress(this);
    }
  }

  /** Read the next batch; a failing read is reported and retried like a failing apply. */
  async #read(store: ResourceStore, batchSize: number): Promise<ChangeEvent[] | undefined> {
    try {
      const batch = await store.readChanges(this.checkpoint + 1, batchSize);
      this.readFailures = 0;
      return batch;
    } catch (error) {
      this.readFailures += 1;
      const retryInMs = backoffDelay(this.readFailures, this.options.backoff);
      const { name } = this.options.projector;
      this.options.onError({
        name,
        generation: this.generation,
        error,
        attempts: this.readFailures,
        retryInMs,
        fromSeq: this.checkpoint + 1,
      });
      await sleep(retryInMs, this.#abort.signal);
      return undefined;
    }
  }

  async #applyWithRetry(
    batch: ChangeEvent[],
    lastSeq: number,
  ): Promise<'applied' | 'checkpointed' | 'aborted'> {
    const { projector, store, generation, checkpointKey, backoff } = this.options;
    const signal = this.#abort.signal;
    for (let attempts = 1; ; attempts++) {
      try {
        const result = await projector.apply(batch, { store, generation, checkpointKey, lastSeq, signal });
        this.lastError = undefined;
        return result?.checkpointed ? 'checkpointed' : 'applied';
      } catch (error) {
        const retryInMs = backoffDelay(attempts, backoff);
        this.state = 'retrying';
        this.lastError = {
          message: error instanceof Error ? error.message : String(error),
          attempts,
          at: new Date().toISOString(),
        };
        this.options.onError({
          name: projector.name,
          generation,
          error,
          attempts,
          retryInMs,
          fromSeq: batch[0]!.seq,
        });
        await sleep(retryInMs, signal);
        if (signal.aborted) return 'aborted';
      }
    }
  }
}
