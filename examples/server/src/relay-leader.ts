import {
  type ChangeTransport,
  createRelay,
  type Relay,
  type RelayStatus,
  type ResourceStore,
} from '@fhirstream/core';
import type { PostgresBackend } from '@fhirstream/postgres';
import { type HeldLock, tryAdvisoryLock } from './advisory-lock.js';

/** Options of {@link runRelayWhenLeader}. */
export interface RelayLeaderOptions {
  /** The relay's name (its checkpoint is `relay/<name>`) and the lock's name. */
  name: string;
  /** How often a follower tries to become the leader (default 500 ms). */
  retryMs?: number;
  /** Reported when this process becomes or stops being the leader. */
  onChange?: (leader: boolean) => void;
}

/** A relay that runs in whichever process holds the lock; see {@link runRelayWhenLeader}. */
export interface RelayLeader {
  readonly leader: boolean;
  /** The relay's status while this process leads. */
  status(): Promise<RelayStatus | undefined>;
  stop(): Promise<void>;
}

/**
 * Relay the store's change log to the broker from exactly one process of the
 * cluster at a time: every projector worker runs this, the one holding the
 * PostgreSQL advisory lock `fhirstream:relay:<schema>:<name>` relays, the
 * others retry every `retryMs`. A leader that dies loses its session and so
 * the lock; the next one resumes after the broker's last seq (`resume:
 * 'broker'`), and the broker drops a re-published event by its dedupe id, so
 * a takeover neither loses nor doubles events.
 *
 * @example
 * ```ts
 * const relay = runRelayWhenLeader(backend, store, transport, { name: 'nats' });
 * // …
 * await relay.stop();
 * ```
 */
export function runRelayWhenLeader(
  backend: PostgresBackend,
  store: ResourceStore,
  transport: ChangeTransport,
  options: RelayLeaderOptions,
): RelayLeader {
  const retryMs = options.retryMs ?? 500;
  const lockName = `fhirstream:relay:${backend.schema}:${options.name}`;
  let stopped = false;
  let lock: HeldLock | undefined;
  let relay: Relay | undefined;
  let timer: NodeJS.Timeout | undefined;
  let attempt: Promise<void> | undefined;

  const resign = async () => {
    const r = relay;
    relay = undefined;
    await r?.stop();
    const l = lock;
    lock = undefined;
    await l?.release();
    if (r) options.onChange?.(false);
  };

  const tryLead = async () => {
    try {
      const held = await tryAdvisoryLock(backend, lockName);
      if (!held) return;
      if (stopped) return void (await held.release());
      lock = held;
      relay = createRelay(store, transport, { name: options.name, pollIntervalMs: 1000 });
      options.onChange?.(true);
      void held.lost.then(() => {
        if (lock === held) void resign();
      });
    } catch {
      // the database is unreachable: try again later
    }
  };

  const tick = () => {
    if (stopped) return;
    attempt = (lock ? Promise.resolve() : tryLead()).finally(() => {
      if (!stopped) timer = setTimeout(tick, retryMs);
    });
  };
  tick();

  return {
    get leader() {
      return relay !== undefined;
    },
    status: async () => relay?.status(),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await attempt;
      await resign();
    },
  };
}
