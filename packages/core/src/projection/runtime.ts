import type { Observable, Subscription } from 'rxjs';
import { Subject } from 'rxjs';
import { FhirError } from '../errors/fhir-error.js';
import type { ResourceStore } from '../store/create-store.js';
import type { Checkpoint } from '../store/types.js';
import type { BackoffOptions } from './backoff.js';
import { GenerationLoop } from './generation-loop.js';
import type { Projector, ProjectorError, ProjectorStatus } from './types.js';

/** Options of {@link createProjectorRuntime}. */
export interface ProjectorRuntimeOptions {
  /** Events read per batch (default 500). */
  batchSize?: number;
  /** Backoff of a failing projector (default 100 ms doubling to 30 s). */
  backoff?: BackoffOptions;
  /** Also look for new events every this many ms (for writers in other processes). */
  pollIntervalMs?: number;
}

/** Runs projectors from their durable checkpoints; see {@link createProjectorRuntime}. */
export interface ProjectorRuntime {
  /** Start a projector: from its checkpoint, or from seq 1 (rebuilding if its `version` changed). */
  register(projector: Projector): Promise<void>;
  /** Rebuild a projection from seq 1 in a new generation while the current one keeps serving; resolves on the swap. */
  rebuild(name: string): Promise<void>;
  /** The generation readers of `name` must use. */
  generation(name: string): number;
  /** Resolve once every projector (or the named ones) has applied `seq`; `FhirError('timeout')` after `timeoutMs` (default 5,000). */
  waitFor(seq: number, options?: { timeoutMs?: number; projectors?: string[] }): Promise<void>;
  status(): Promise<ProjectorStatus[]>;
  /** Every failure of a projector's `apply` (it is retried, never skipped). */
  readonly errors$: Observable<ProjectorError>;
  stop(): Promise<void>;
}

interface ProjectorState extends Checkpoint {
  active: number;
  version: number;
  building?: { generation: number; version: number };
}

interface Entry {
  projector: Projector;
  state: ProjectorState;
  active: GenerationLoop;
  building?: GenerationLoop;
  rebuilt?: { promise: Promise<void>; resolve: () => void };
  promoting?: boolean;
}

const stateKey = (name: string) => `projector/${name}`;
const generationKey = (name: string, generation: number) => `projector/${name}/g${generation}`;

/**
 * The projector runtime. Each projector runs from its own durable checkpoint,
 * pulling batches from the change log (natural backpressure; replay and live
 * are one code path), at least once, with idempotent `apply`. A failing
 * projector is retried with backoff and reported on `errors$`; the others go on.
 *
 * @example
 * ```ts
 * const runtime = createProjectorRuntime(store);
 * await runtime.register(myProjector);
 * const { seq } = await store.commit([{ op: 'create', resource: { resourceType: 'Patient' } }]);
 * await runtime.waitFor(seq); // read-your-writes
 * ```
 */
export function createProjectorRuntime(
  store: ResourceStore,
  options: ProjectorRuntimeOptions = {},
): ProjectorRuntime {
  const entries = new Map<string, Entry>();
  const errors = new Subject<ProjectorError>();
  const progress = new Subject<void>();
  const subscriptions: Subscription[] = [];
  const batchSize = options.batchSize ?? 500;
  const backoff = options.backoff ?? {};
  let stopped = false;

  const wakeAll = () => {
    for (const e of entries.values()) {
      e.active.wake();
      e.building?.wake();
    }
  };
  subscriptions.push(store.commits$.subscribe(wakeAll));
  const poll = options.pollIntervalMs ? setInterval(wakeAll, options.pollIntervalMs) : undefined;

  const newLoop = (projector: Projector, generation: number, onCaughtUp?: (l: GenerationLoop) => void) => {
    const loop = new GenerationLoop({
      projector,
      store,
      generation,
      checkpointKey: generationKey(projector.name, generation),
      batchSize,
      backoff,
      onError: (e) => errors.next(e),
      onProgress: () => progress.next(),
      ...(onCaughtUp ? { onCaughtUp } : {}),
    });
    loop.start();
    return loop;
  };

  const saveState = (entry: Entry) => store.checkpoints.set(stateKey(entry.projector.name), entry.state);

  const promote = async (entry: Entry) => {
    const building = entry.building;
    if (!building || entry.promoting || stopped) return;
    entry.promoting = true;
    const old = entry.active;
    entry.state = { seq: 0, active: building.generation, version: entry.state.building!.version };
    await saveState(entry);
    building.onCaughtUp = undefined;
    entry.active = building;
    entry.building = undefined;
    entry.promoting = false;
    await entry.projector.activate?.(building.generation);
    await old.stop();
    await retire(entry.projector, old.generation);
    entry.rebuilt?.resolve();
    entry.rebuilt = undefined;
    progress.next();
  };

  const retire = async (projector: Projector, generation: number) => {
    await projector.reset?.(generation);
    await store.checkpoints.delete(generationKey(projector.name, generation));
  };

  /** Start (or join) a rebuild of `entry` into a new generation; resolves when it has been swapped in. */
  const startRebuild = (entry: Entry, resume: boolean): Promise<void> => {
    if (entry.rebuilt) return entry.rebuilt.promise;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    entry.rebuilt = { promise, resolve };
    const { projector } = entry;
    const begin = async () => {
      if (!resume) {
        const generation = Math.max(entry.state.active, entry.state.building?.generation ?? 0) + 1;
        await projector.reset?.(generation);
        await store.checkpoints.set(generationKey(projector.name, generation), { seq: 0 });
        entry.state = { ...entry.state, building: { generation, version: projector.version } };
        await saveState(entry);
      }
      entry.building = newLoop(projector, entry.state.building!.generation, () => void promote(entry));
    };
    begin().catch((error) =>
      errors.next({ name: projector.name, generation: -1, error, attempts: 1, retryInMs: 0, fromSeq: 1 }),
    );
    return promise;
  };

  const removeStaleGenerations = async (projector: Projector, state: ProjectorState) => {
    const keep = new Set([generationKey(projector.name, state.active)]);
    if (state.building) keep.add(generationKey(projector.name, state.building.generation));
    for (const [key] of await store.checkpoints.list(`${stateKey(projector.name)}/g`)) {
      if (!keep.has(key)) await retire(projector, Number(key.slice(key.lastIndexOf('/g') + 2)));
    }
  };

  const runtime: ProjectorRuntime = {
    errors$: errors.asObservable(),

    async register(projector) {
      if (entries.has(projector.name))
        throw new FhirError('invalid', `Projector ${projector.name} is already registered`);
      let state = (await store.checkpoints.get(stateKey(projector.name))) as ProjectorState | undefined;
      if (!state) {
        state = { seq: 0, active: 1, version: projector.version };
        await projector.reset?.(1);
        await store.checkpoints.set(generationKey(projector.name, 1), { seq: 0 });
        await store.checkpoints.set(stateKey(projector.name), state);
      }
      await removeStaleGenerations(projector, state);
      await projector.activate?.(state.active);
      const entry: Entry = { projector, state, active: newLoop(projector, state.active) };
      entries.set(projector.name, entry);
      if (state.building) void startRebuild(entry, true);
      else if (state.version !== projector.version) void startRebuild(entry, false);
    },

    async rebuild(name) {
      const entry = entries.get(name);
      if (!entry) throw new FhirError('not-found', `No projector named ${name}`);
      return startRebuild(entry, false);
    },

    generation(name) {
      const entry = entries.get(name);
      if (!entry) throw new FhirError('not-found', `No projector named ${name}`);
      return entry.active.generation;
    },

    waitFor(seq, { timeoutMs = 5000, projectors } = {}) {
      const selected = () => (projectors ?? [...entries.keys()]).map((n) => entries.get(n));
      const reached = () => selected().every((e) => e !== undefined && e.active.checkpoint >= seq);
      if (reached()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const sub = progress.subscribe(() => {
          if (!reached()) return;
          clearTimeout(timer);
          sub.unsubscribe();
          resolve();
        });
        const timer = setTimeout(() => {
          sub.unsubscribe();
          const behind = selected()
            .filter((e) => e && e.active.checkpoint < seq)
            .map((e) => `${e!.projector.name} at ${e!.active.checkpoint}`);
          reject(
            new FhirError(
              'timeout',
              `Projections did not reach seq ${seq} within ${timeoutMs} ms (${behind.join(', ')})`,
            ),
          );
        }, timeoutMs);
      });
    },

    async status() {
      const headSeq = await store.headSeq();
      return [...entries.values()].map(({ projector, state, active, building }) => ({
        name: projector.name,
        version: state.version,
        generation: active.generation,
        checkpoint: active.checkpoint,
        headSeq,
        lag: Math.max(0, headSeq - active.checkpoint),
        eventsPerSecond: active.meter.perSecond(),
        state: active.state,
        ...(building
          ? {
              rebuilding: {
                generation: building.generation,
                version: state.building!.version,
                checkpoint: building.checkpoint,
              },
            }
          : {}),
        ...(active.lastError ? { lastError: active.lastError } : {}),
      }));
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      if (poll) clearInterval(poll);
      for (const s of subscriptions) s.unsubscribe();
      await Promise.all([...entries.values()].flatMap((e) => [e.active.stop(), e.building?.stop()]));
      errors.complete();
      progress.complete();
    },
  };
  return runtime;
}
