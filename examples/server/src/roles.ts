import type { Server } from 'node:http';
import {
  type ChangeTransport,
  createFhirServer,
  createProjectorRuntime,
  createRelay,
  type FhirServer,
  type ProjectorRuntime,
  type SearchEngine,
} from '@fhirstream/core';
import { tryAdvisoryLock } from './advisory-lock.js';
import { type HealthReport, serveHttp } from './app.js';
import {
  createConfiguredSearch,
  type OpenedStore,
  openConfiguredStore,
  openConfiguredTransport,
  sharedLogStore,
} from './backends.js';
import { createClinicalFeatures } from './clinical-features.js';
import type { ServerConfig } from './config.js';
import { selectProjectors } from './projectors.js';
import { runRelayWhenLeader } from './relay-leader.js';
import { watchRemoteProjections } from './remote-projections.js';
import { startProjectorWorkers } from './workers.js';

/** A started process of any role. */
export interface RunningRole {
  config: ServerConfig;
  /** The FHIR base URL (roles `api` and `all`). */
  fhirUrl: string | undefined;
  /** `GET` it: 200 and a JSON report when healthy. */
  healthUrl: string;
  /** What runs here, for the startup log. */
  summary: string;
  /** Stop serving, let projectors finish their batch, close the broker and the store. */
  close(): Promise<void>;
}

/** What {@link startRole} may log. */
export type Log = (line: string) => void;

/**
 * Start this process as `config.role` says:
 *
 * - no stream (or LMDB): **everything in-process** — the API and the
 *   projectors, run from the store's log by a projector runtime (with LMDB and
 *   a stream, the log is also relayed to the broker for outside consumers);
 * - PostgreSQL + stream, `api`: the HTTP API on the shared store; reads wait
 *   for the projector workers' shared checkpoints (read-your-writes);
 * - PostgreSQL + stream, `projector`: the `FHIR_PROJECTORS` as members of
 *   the broker's consumer groups, plus the relay (log → broker) in whichever
 *   worker holds its lock; HTTP serves `/healthz` only;
 * - PostgreSQL + stream, `all`: both of the above in one process.
 *
 * @example
 * ```ts
 * const running = await startRole(loadConfig(process.env));
 * console.log(running.fhirUrl ?? running.healthUrl);
 * await running.close();
 * ```
 */
export async function startRole(config: ServerConfig, log: Log = console.log): Promise<RunningRole> {
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch((error: unknown) => log(`while closing: ${String(error)}`));
    }
  };
  try {
    const opened = await openConfiguredStore(config.store);
    closers.push(() => opened.close());
    const parts =
      config.stream && opened.kind === 'postgres'
        ? await startDistributed(config, opened, closers, log)
        : await startInProcess(config, opened, closers, log);
    const serving = await serveHttp({
      host: config.host,
      port: config.port,
      ...(parts.fhir ? { fhir: parts.fhir } : {}),
      health: async () => ({
        role: config.role,
        headSeq: await opened.store.headSeq(),
        ...(await parts.health()),
      }),
    });
    closers.push(() => serving.close());
    parts.attach?.(serving.http);
    return {
      config,
      fhirUrl: parts.fhir ? `${serving.origin}/fhir` : undefined,
      healthUrl: `${serving.origin}/healthz`,
      summary: parts.summary,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

interface RoleParts {
  fhir: FhirServer | undefined;
  /** Extra protocol handlers on the HTTP server (the subscription websocket). */
  attach?: (http: Server) => void;
  health(): Promise<HealthReport>;
  summary: string;
}

type Closers = Array<() => Promise<void>>;

const fhirLimits = (config: ServerConfig) => ({
  consistencyTimeoutMs: config.consistencyTimeoutMs,
  maxProjectionLag: config.maxProjectionLag,
});

/** One process does it all: the projectors run from the store's log (today's `pnpm start`). */
async function startInProcess(
  config: ServerConfig,
  opened: OpenedStore,
  closers: Closers,
  log: Log,
): Promise<RoleParts> {
  let runtime: ProjectorRuntime;
  if (opened.kind === 'lmdb') {
    runtime = opened.embedded.runtime; // stopped by the store's close
  } else {
    // Two of these on one database would apply each projection twice: refuse the second.
    const lock = await tryAdvisoryLock(opened.backend, `fhirstream:all:${opened.backend.schema}`);
    if (!lock) {
      throw new Error(
        `Another FHIR_ROLE=all process without FHIR_STREAM runs on schema ${opened.backend.schema}: ` +
          'to run several processes on one store, set FHIR_STREAM and use the api/projector roles',
      );
    }
    closers.push(() => lock.release());
    runtime = createProjectorRuntime(opened.store, { pollIntervalMs: 1000 });
    closers.push(() => runtime.stop());
  }
  const search = await createConfiguredSearch(opened, runtime);
  const features = createClinicalFeatures({
    store: opened.store,
    lmdb: opened.kind === 'lmdb' ? opened.embedded.backend : undefined,
    search,
    dataDir: config.store.kind === 'lmdb' ? config.store.dataDir : './.data',
    baseUrl: process.env.FHIR_BASE_URL ?? `http://${config.host}:${config.port}/fhir`,
  });
  closers.push(() => features.close());
  const fhir = await createFhirServer({
    store: opened.store,
    runtime,
    limits: fhirLimits(config),
    operations: features.operations,
    validate: features.validate,
    capabilityStatement: features.capabilityStatement,
    ...withSearch(search),
  });
  closers.push(() => fhir.close());
  for (const projector of features.projectors) await runtime.register(projector);
  const extra = selectProjectors(config.projectors, sources(config, opened, search)).filter(
    (p) => !search?.projectors.includes(p),
  );
  for (const projector of extra) await runtime.register(projector);

  let relayed = '';
  if (config.stream) {
    const transport = await openConfiguredTransport(config.stream);
    closers.push(() => transport.close());
    const relay = createRelay(opened.store, transport, { name: relayName(config) });
    closers.push(() => relay.stop());
    relayed = `; change log relayed to ${config.stream.kind}`;
  }
  const names = [...(search?.projectors ?? []), ...extra].map((p) => p.name);
  if (!search) log('warning: no search engine for this store; searches answer not-supported');
  return {
    fhir,
    attach: features.attach,
    health: async () => ({ ok: true, projectors: await runtime.status() }),
    summary: `api + projectors in-process (${names.join(', ') || 'none'})${relayed}`,
  };
}

/** PostgreSQL + a stream: this process is an API, a projector worker, or both. */
async function startDistributed(
  config: ServerConfig,
  opened: Extract<OpenedStore, { kind: 'postgres' }>,
  closers: Closers,
  log: Log,
): Promise<RoleParts> {
  const stream = config.stream!;
  const serveApi = config.role !== 'projector';
  const runWorkers = config.role !== 'api';
  const transport: ChangeTransport = await openConfiguredTransport(stream);
  closers.push(() => transport.close());
  const runtime = serveApi
    ? watchRemoteProjections(opened.store, { pollIntervalMs: config.checkpointPollMs })
    : undefined;
  if (runtime) closers.push(() => runtime.stop());
  const search = await createConfiguredSearch(opened, runtime);
  if (!search) log('warning: no search engine for this store; searches answer not-supported');

  let workerHealth = async (): Promise<HealthReport> => ({ ok: true });
  const summary: string[] = [];
  if (runWorkers) {
    const selected = selectProjectors(config.projectors, sources(config, opened, search));
    const projectors = config.role === 'all' ? union(search?.projectors ?? [], selected) : selected;
    const workers = await startProjectorWorkers(opened, transport, projectors, {
      workerName: config.workerName,
      ackWaitMs: stream.ackWaitMs,
      log,
    });
    closers.push(() => workers.stop());
    const relay = runRelayWhenLeader(opened.backend, opened.store, transport, {
      name: relayName(config),
      onChange: (leader) =>
        log(leader ? 'relay: this worker now relays the change log' : 'relay: stepped down'),
    });
    closers.push(() => relay.stop());
    workerHealth = async () => {
      const statuses = await workers.status();
      return {
        ok: statuses.every((s) => s.state !== 'stopped'),
        worker: config.workerName,
        relay: { leader: relay.leader, ...(await relay.status()) },
        projectors: statuses,
      };
    };
    summary.push(
      `projector worker ${config.workerName} (${projectors.map((p) => p.name).join(', ') || 'no projectors'}; relay when leader)`,
    );
  }

  let fhir: FhirServer | undefined;
  if (serveApi) {
    fhir = await createFhirServer({
      store: sharedLogStore(opened.store),
      runtime: runtime!,
      limits: fhirLimits(config),
      ...withSearch(search),
    });
    closers.push(() => fhir!.close());
    summary.unshift(
      `api (read-your-writes via the workers' checkpoints of ${search?.projectors.map((p) => p.name).join(', ') || 'no projectors'})`,
    );
  }
  return {
    fhir,
    async health() {
      const worker = await workerHealth();
      return { ...worker, ...(runtime ? { projections: await runtime.status() } : {}) };
    },
    summary: summary.join(' + '),
  };
}

const withSearch = (search: SearchEngine | undefined) => (search ? { search } : {});

const relayName = (config: ServerConfig) => `${config.stream!.kind}-${config.stream!.prefix}`;

const sources = (config: ServerConfig, opened: OpenedStore, search: SearchEngine | undefined) => ({
  search,
  postgres: opened.kind === 'postgres' ? opened.backend : undefined,
  workerName: config.workerName,
});

function union<T extends { name: string }>(a: T[], b: T[]): T[] {
  return [...a, ...b.filter((x) => !a.some((y) => y.name === x.name))];
}
