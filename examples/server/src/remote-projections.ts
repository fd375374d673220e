import {
  createProjectorRuntime,
  FhirError,
  type Projector,
  type ProjectorRuntime,
  type ProjectorStatus,
  type ResourceStore,
  SeqWaiter,
} from '@fhirstream/core';

/**
 * Where the workers of a projector keep their state: its consumer group
 * (`<name>-v<version>`), the shared checkpoint `remote/<group>` in the store,
 * and the generation its data is written under — the version, so that a new
 * version builds its tables beside the old ones instead of dropping them.
 *
 * @example
 * ```ts
 * remoteProjection({ name: 'search-index', version: 3 });
 * // { group: 'search-index-v3', checkpointKey: 'remote/search-index-v3', generation: 3 }
 * ```
 */
export function remoteProjection(projector: Pick<Projector, 'name' | 'version'>) {
  const group = `${projector.name}-v${projector.version}`;
  return { group, checkpointKey: `remote/${group}`, generation: projector.version };
}

/** Options of {@link watchRemoteProjections}. */
export interface RemoteProjectionsOptions {
  /** How often the shared checkpoints are read while a request waits (default 20 ms). */
  pollIntervalMs?: number;
}

interface Watched {
  projector: Projector;
  checkpointKey: string;
  generation: number;
  waiter: SeqWaiter;
}

/**
 * The {@link ProjectorRuntime} of an `api` process whose projectors run in
 * projector workers. `register` applies nothing: it only activates the
 * generation the workers write (so a search engine reads the right tables)
 * and starts watching the projector's shared checkpoint in the store.
 * `waitFor(seq)` — read-your-writes — resolves once the workers' checkpoints
 * have reached `seq`, reading them every `pollIntervalMs` while anyone waits
 * (one query for all waiters). Because the workers save that checkpoint in
 * the transaction of their writes, reaching it means the data is visible.
 *
 * @example
 * ```ts
 * const runtime = watchRemoteProjections(store);
 * const fhir = await createFhirServer({ store, search, runtime }); // registers search's projectors
 * await runtime.waitFor(seq, { timeoutMs: 10_000 });
 * ```
 */
export function watchRemoteProjections(
  store: ResourceStore,
  options: RemoteProjectionsOptions = {},
): ProjectorRuntime {
  const pollIntervalMs = options.pollIntervalMs ?? 20;
  const watched = new Map<string, Watched>();
  // Nothing is applied here, so nothing fails here: `errors$` is that of an empty local runtime (it never emits).
  const idle = createProjectorRuntime(store);
  let waiting = 0;
  let timer: NodeJS.Timeout | undefined;
  let reading: Promise<void> | undefined;
  let stopped = false;

  const read = (): Promise<void> =>
    (reading ??= store.checkpoints
      .list('remote/')
      .then((rows) => {
        const seqs = new Map(rows);
        for (const w of watched.values()) w.waiter.advance(seqs.get(w.checkpointKey)?.seq ?? 0);
      })
      .catch(() => {}) // retried at the next tick; a wait that never ends times out
      .finally(() => (reading = undefined)));

  const tick = () => {
    timer = undefined;
    if (waiting === 0 || stopped) return;
    void read().then(() => {
      if (waiting > 0 && !stopped && !timer) timer = setTimeout(tick, pollIntervalMs);
    });
  };

  const entry = (name: string) => {
    const w = watched.get(name);
    if (!w) throw new FhirError('not-found', `No projector named ${name}`);
    return w;
  };

  return {
    errors$: idle.errors$,

    async register(projector) {
      if (watched.has(projector.name))
        throw new FhirError('invalid', `Projector ${projector.name} is already registered`);
      const { checkpointKey, generation } = remoteProjection(projector);
      await projector.activate?.(generation);
      const waiter = new SeqWaiter(`The projector workers of ${projector.name}`);
      watched.set(projector.name, { projector, checkpointKey, generation, waiter });
      await read();
    },

    async rebuild(name) {
      entry(name);
      throw new FhirError(
        'not-supported',
        `${name} runs in projector workers: deploy a new version of it to rebuild (a new consumer group)`,
      );
    },

    generation: (name) => entry(name).generation,

    async waitFor(seq, { timeoutMs = 5000, projectors } = {}) {
      const selected = (projectors ?? [...watched.keys()]).map((name) => {
        const w = watched.get(name);
        if (!w) throw new FhirError('timeout', `No worker reports the projector ${name}`);
        return w;
      });
      if (selected.every((w) => w.waiter.position >= seq)) return;
      waiting += 1;
      if (!timer) tick();
      try {
        await Promise.all(selected.map((w) => w.waiter.waitFor(seq, timeoutMs)));
      } finally {
        waiting -= 1;
      }
    },

    async status(): Promise<ProjectorStatus[]> {
      await read();
      const headSeq = await store.headSeq();
      return [...watched.values()].map((w) => ({
        name: w.projector.name,
        version: w.projector.version,
        generation: w.generation,
        checkpoint: w.waiter.position,
        headSeq,
        lag: Math.max(0, headSeq - w.waiter.position),
        eventsPerSecond: 0,
        state: headSeq > w.waiter.position ? 'running' : 'idle',
      }));
    },

    async stop() {
      stopped = true;
      clearTimeout(timer);
      await reading;
      await idle.stop();
    },
  };
}
