import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openNatsTransport } from '@fhirstream/nats';
import * as postgresAdapter from '@fhirstream/postgres';
import { openPostgresBackend, quoteIdent } from '@fhirstream/postgres';
import { openRedisTransport } from '@fhirstream/redis';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const serverEntry = 'examples/server/src/main.ts';

/**
 * Whether @fhirstream/postgres has its search index (`createPostgresSearchEngine`) in this build:
 * without it the cluster's APIs answer searches with not-supported.
 *
 * @example
 * ```ts
 * const projectors = searchIndexAvailable() ? ['search-index', 'change-ledger'] : ['change-ledger'];
 * ```
 */
export function searchIndexAvailable(): boolean {
  return (
    typeof (postgresAdapter as unknown as Record<string, unknown>).createPostgresSearchEngine === 'function'
  );
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** The PostgreSQL database; the cluster gets a fresh schema in it. */
  postgresUrl: string;
  /** `nats://…` or `redis://…`; the cluster gets a fresh stream prefix on it. */
  streamUrl: string;
  apis?: number;
  workers?: number;
  /** Port of the first API (the next ones follow); 0 (default) picks free ports. */
  basePort?: number;
  host?: string;
  /** `FHIR_PROJECTORS` of the workers (default: the server's default, the search index). */
  projectors?: string[];
  /** `FHIR_ACK_WAIT_MS`: how soon a dead worker's batch goes to another (default 30 s). */
  ackWaitMs?: number;
  /** The schema (default: a fresh `fs_cluster_<random>`). */
  schema?: string;
  /** The stream prefix (default: a fresh `cluster_<random>`). */
  prefix?: string;
  /** Where the processes' output goes, line by line (default: nowhere; it is kept for `output()`). */
  onOutput?: (name: string, line: string) => void;
  /** Most ms to wait for every process to be healthy (default 30,000). */
  startTimeoutMs?: number;
}

/** One process of the cluster. */
export interface ClusterProcess {
  name: string;
  role: 'api' | 'projector';
  child: ChildProcess;
  /** The FHIR base URL (APIs). */
  url: string;
  healthUrl: string;
  /** Resolves with the exit code (or signal) when the process ends. */
  exited: Promise<number | string>;
  /** Everything it printed. */
  output(): string;
}

/** A running cluster; see {@link startCluster}. */
export interface Cluster {
  schema: string;
  prefix: string;
  postgresUrl: string;
  streamUrl: string;
  apis: ClusterProcess[];
  workers: ClusterProcess[];
  /** SIGTERM every process still running (SIGKILL after `graceMs`), then resolve. */
  stop(graceMs?: number): Promise<void>;
  /** {@link stop}, then drop the schema and delete the stream. */
  destroy(): Promise<void>;
}

/**
 * Start a Fhirstream cluster on this machine: `workers` projector workers and
 * `apis` API processes (`examples/server` with `FHIR_ROLE=projector|api`) on
 * one PostgreSQL schema and one broker stream, both fresh by default. Resolves
 * once every process answers `GET /healthz` with 200.
 *
 * @example
 * ```ts
 * const cluster = await startCluster({ postgresUrl: 'postgres://postgres@127.0.0.1:5432/test', streamUrl: 'nats://127.0.0.1:4222' });
 * await fetch(`${cluster.apis[0]!.url}/metadata`);
 * await cluster.destroy();
 * ```
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const id = randomBytes(5).toString('hex');
  const schema = options.schema ?? `fs_cluster_${id}`;
  const prefix = options.prefix ?? `cluster_${id}`;
  const host = options.host ?? '127.0.0.1';
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const common: Record<string, string> = {
    FHIR_STORE: options.postgresUrl,
    FHIR_STORE_SCHEMA: schema,
    FHIR_STREAM: options.streamUrl,
    FHIR_STREAM_PREFIX: prefix,
    HOST: host,
    ...(options.ackWaitMs ? { FHIR_ACK_WAIT_MS: String(options.ackWaitMs) } : {}),
  };
  const all: ClusterProcess[] = [];
  const cluster: Cluster = {
    schema,
    prefix,
    postgresUrl: options.postgresUrl,
    streamUrl: options.streamUrl,
    apis: [],
    workers: [],
    stop: (graceMs = 5000) => stopAll(all, graceMs),
    async destroy() {
      await stopAll(all, 5000);
      await dropClusterData(options.postgresUrl, schema, options.streamUrl, prefix);
    },
  };
  const start = (name: string, role: 'api' | 'projector', env: Record<string, string>) => {
    const p = spawnServer(name, role, { ...common, ...env, FHIR_ROLE: role }, options.onOutput);
    all.push(p.process);
    return p.ready.then(() => p.process);
  };
  try {
    const workers = options.workers ?? 2;
    const apis = options.apis ?? 2;
    const worker = (i: number) =>
      start(`worker-${i + 1}`, 'projector', {
        PORT: '0',
        FHIR_WORKER_NAME: `worker-${i + 1}`,
        ...(options.projectors ? { FHIR_PROJECTORS: options.projectors.join(',') } : {}),
      });
    const starting = [
      ...Array.from({ length: workers }, (_, i) => worker(i)),
      ...Array.from({ length: apis }, (_, i) =>
        start(`api-${i + 1}`, 'api', { PORT: String(options.basePort ? options.basePort + i : 0) }),
      ),
    ];
    const started = await withTimeout(Promise.all(starting), timeoutMs, () =>
      all.map((p) => `--- ${p.name}:\n${p.output()}`).join('\n'),
    );
    cluster.workers.push(...started.filter((p) => p.role === 'projector'));
    cluster.apis.push(...started.filter((p) => p.role === 'api'));
    await Promise.all(started.map((p) => untilHealthy(p.healthUrl, timeoutMs)));
    return cluster;
  } catch (error) {
    await cluster.destroy().catch(() => {});
    throw error;
  }
}

/** Spawn `pnpm start`'s entry point; `ready` resolves once it printed its URL. */
function spawnServer(
  name: string,
  role: 'api' | 'projector',
  env: Record<string, string>,
  onOutput: ClusterOptions['onOutput'],
): { process: ClusterProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', serverEntry], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let partial = '';
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const proc: ClusterProcess = { name, role, child, url: '', healthUrl: '', exited, output: () => out };
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      out += text;
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) onOutput?.(name, line);
      const api = /listening at (http:\/\/\S+)/.exec(out);
      const worker = /health at (http:\/\/\S+)/.exec(out);
      if (api) {
        proc.url = api[1]!;
        proc.healthUrl = api[1]!.replace(/\/fhir$/, '/healthz');
        resolve();
      } else if (worker) {
        proc.healthUrl = worker[1]!;
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`${name} exited (${code}) before it was ready:\n${out}`)));
  });
  return { process: proc, ready };
}

async function untilHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} is not healthy after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopAll(processes: ClusterProcess[], graceMs: number): Promise<void> {
  const running = processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  for (const p of running) p.child.kill('SIGTERM');
  await Promise.all(
    running.map(async (p) => {
      const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
      await p.exited;
      clearTimeout(timer);
    }),
  );
}

/**
 * Drop the cluster's schema and delete its stream.
 *
 * @example
 * ```ts
 * await dropClusterData('postgres://postgres@127.0.0.1:5432/test', 'fs_cluster_ab12', 'nats://127.0.0.1:4222', 'cluster_ab12');
 * ```
 */
export async function dropClusterData(
  postgresUrl: string,
  schema: string,
  streamUrl: string,
  prefix: string,
): Promise<void> {
  const backend = await openPostgresBackend({ connectionString: postgresUrl, schema, maxConnections: 1 });
  try {
    await backend.pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  } finally {
    await backend.close();
  }
  const transport = streamUrl.startsWith('nats:')
    ? await openNatsTransport({ servers: streamUrl, prefix })
    : await openRedisTransport({ url: streamUrl, prefix });
  try {
    await transport.destroy();
  } finally {
    await transport.close();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, detail: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`The cluster did not start within ${ms} ms:\n${detail()}`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
