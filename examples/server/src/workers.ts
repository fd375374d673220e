import {
  type ChangeTransport,
  type Projector,
  type RemoteProjector,
  type RemoteProjectorStatus,
  runRemoteProjector,
} from '@fhirstream/core';
import type { PostgresBackend } from '@fhirstream/postgres';
import { withAdvisoryLock } from './advisory-lock.js';
import type { OpenedStore } from './backends.js';
import { remoteProjection } from './remote-projections.js';

/** Options of {@link startProjectorWorkers}. */
export interface WorkerOptions {
  /** This worker's consumer name in each group. */
  workerName: string;
  /** See `FHIR_ACK_WAIT_MS`. */
  ackWaitMs: number;
  log: (line: string) => void;
}

/** The projectors this process runs from the stream. */
export interface ProjectorWorkers {
  status(): Promise<RemoteProjectorStatus[]>;
  /** Finish the batches being applied, acknowledge them, leave the groups. */
  stop(): Promise<void>;
}

/**
 * Run each projector from the stream as a member of its consumer group
 * (`<name>-v<version>`), sharing the checkpoint `remote/<group>` in the
 * PostgreSQL store with the other workers of the group. A PostgreSQL
 * projector saves that checkpoint in the transaction of its writes, so a
 * batch redelivered after a worker died is recognized and acknowledged
 * without being applied again. Joining a group is serialized between workers
 * by an advisory lock: the first worker ever initializes the projection
 * (reset + checkpoint 0); the others find the checkpoint and never reset it.
 *
 * @example
 * ```ts
 * const workers = await startProjectorWorkers(opened, transport, search.projectors, {
 *   workerName: 'worker-1', ackWaitMs: 30_000, log: console.log,
 * });
 * await workers.stop();
 * ```
 */
export async function startProjectorWorkers(
  opened: Extract<OpenedStore, { kind: 'postgres' }>,
  transport: ChangeTransport,
  projectors: Projector[],
  options: WorkerOptions,
): Promise<ProjectorWorkers> {
  const { backend } = opened;
  const running: RemoteProjector[] = [];
  try {
    for (const projector of projectors)
      running.push(await join(backend, opened, transport, projector, options));
  } catch (error) {
    await Promise.allSettled(running.map((r) => r.stop()));
    throw error;
  }
  return {
    status: () => Promise.all(running.map((r) => r.status())),
    async stop() {
      await Promise.allSettled(running.map((r) => r.stop()));
    },
  };
}

async function join(
  backend: PostgresBackend,
  opened: Extract<OpenedStore, { kind: 'postgres' }>,
  transport: ChangeTransport,
  projector: Projector,
  options: WorkerOptions,
): Promise<RemoteProjector> {
  const { group, checkpointKey, generation } = remoteProjection(projector);
  const worker = await withAdvisoryLock(backend, `fhirstream:join:${backend.schema}:${group}`, () =>
    runRemoteProjector(transport, projector, {
      checkpoints: opened.store.checkpoints,
      store: opened.store,
      group,
      checkpointKey,
      generation,
      consumer: options.workerName,
      ackWaitMs: options.ackWaitMs,
    }),
  );
  worker.errors$.subscribe((e) => {
    if (e.attempts === 1 || e.attempts % 10 === 0) {
      const message = e.error instanceof Error ? e.error.message : String(e.error);
      options.log(
        `${projector.name}: apply failed from seq ${e.fromSeq} (attempt ${e.attempts}): ${message}`,
      );
    }
  });
  return worker;
}
