/**
 * Durable records of asynchronous jobs (exports, imports) in the store's
 * checkpoint store, so that they survive a restart and resume.
 */
import type { Checkpoint, CheckpointStore } from '@fhirstream/core';

/** What every job record has. `seq` is the log position the job works as of (e.g. an export's S). */
export interface JobRecord extends Checkpoint {
  id: string;
  status: 'running' | 'completed' | 'failed';
  /** The kick-off request URL. */
  request: string;
  /** FHIR instant. */
  transactionTime: string;
  /** Absolute FHIR base of the kick-off, for links. */
  baseUrl: string;
  /** Who kicked it off (kept for access checks on resume). */
  caller: { identity?: { subject: string; [claim: string]: unknown }; scopes?: string[]; tenant?: string };
  /** Human-readable progress for `X-Progress`. */
  progress?: string;
  /** Why it failed. */
  failure?: string;
}

/**
 * Job records under `bulk/<kind>/<id>` in a {@link CheckpointStore}.
 *
 * @example
 * ```ts
 * const jobs = new JobStore<ExportJob>(store.checkpoints, 'export');
 * await jobs.save(job);
 * (await jobs.list()).filter((j) => j.status === 'running');
 * ```
 */
export class JobStore<J extends JobRecord> {
  readonly #prefix: string;

  constructor(
    readonly checkpoints: CheckpointStore,
    kind: string,
  ) {
    this.#prefix = `bulk/${kind}/`;
  }

  async get(id: string): Promise<J | undefined> {
    return (await this.checkpoints.get(this.#prefix + id)) as J | undefined;
  }

  async save(job: J): Promise<void> {
    await this.checkpoints.set(this.#prefix + job.id, job);
  }

  async delete(id: string): Promise<void> {
    await this.checkpoints.delete(this.#prefix + id);
  }

  async list(): Promise<J[]> {
    return (await this.checkpoints.list(this.#prefix)).map(([, j]) => j as J);
  }
}
