import type { JobRecord, JobStore } from './job-store.js';

/**
 * The jobs (exports, imports) running in this process: each can be aborted,
 * awaited, counted toward the concurrency limit, and resumed after a restart.
 * A job that fails is saved as `failed`; an aborted one stays as it is on
 * disk (it resumes on the next start).
 *
 * @example
 * ```ts
 * const running = new RunningJobs(jobs);
 * running.start(job, (signal) => runExport(job, { signal, ... }));
 * if (running.atWork() >= maxConcurrent) // answer 429
 * await running.close();
 * ```
 */
export class RunningJobs<J extends JobRecord> {
  readonly #running = new Map<string, { abort: AbortController; done: Promise<void>; job: J }>();
  #closed = false;

  constructor(private readonly jobs: JobStore<J>) {}

  /** Run `job`; `run` gets the abort signal and must stop when it fires. */
  start(job: J, run: (signal: AbortSignal) => Promise<unknown>): void {
    const abort = new AbortController();
    const done = run(abort.signal)
      .then(
        () => undefined,
        async (error: unknown) => {
          if (abort.signal.aborted) return;
          job.status = 'failed';
          job.failure = error instanceof Error ? error.message : String(error);
          await this.jobs.save(job);
        },
      )
      .finally(() => this.#running.delete(job.id));
    this.#running.set(job.id, { abort, done, job });
  }

  /** Start the jobs left `running` on disk by an earlier process. */
  async resume(start: (job: J) => void): Promise<void> {
    for (const job of await this.jobs.list()) {
      if (job.status === 'running' && !this.#running.has(job.id) && !this.#closed) start(job);
    }
  }

  /** Jobs still at work (a job that has just completed may still be leaving the map). */
  atWork(): number {
    let n = 0;
    for (const r of this.#running.values()) if (r.job.status === 'running') n++;
    return n;
  }

  /** Abort a job and wait until it has stopped. */
  async cancel(id: string): Promise<void> {
    const r = this.#running.get(id);
    r?.abort.abort();
    await r?.done;
  }

  /** Resolves when the job is no longer running here. */
  async settled(id: string): Promise<void> {
    await this.#running.get(id)?.done;
  }

  /** Abort every job (they stay `running` on disk and resume on the next start). */
  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#running.values()];
    for (const r of all) r.abort.abort();
    await Promise.all(all.map((r) => r.done));
  }
}
