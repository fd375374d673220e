import { hostname } from 'node:os';
import { z } from 'zod';

/** What a process does: see docs/deployment.md. */
export type Role = 'all' | 'api' | 'projector';

/** Where resources, the change log and checkpoints live. */
export type StoreConfig =
  | { kind: 'lmdb'; dataDir: string }
  | { kind: 'postgres'; url: string; schema: string; maxConnections: number };

/** The broker that carries the change log to projector workers. */
export interface StreamConfig {
  kind: 'nats' | 'redis';
  url: string;
  /** NATS subjects `<prefix>.changes.*` / Redis key `<prefix>:changes`. */
  prefix: string;
  /** A batch not acknowledged within this many ms (a dead worker) goes to another worker of the group. */
  ackWaitMs: number;
}

/** The validated settings of one server process, from {@link loadConfig}. */
export interface ServerConfig {
  role: Role;
  store: StoreConfig;
  stream: StreamConfig | undefined;
  /** Projectors this process runs (roles `projector` and `all`); `undefined`: every one available. */
  projectors: string[] | undefined;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Longest wait of a read for the projections to reach the caller's writes (read-your-writes). */
  consistencyTimeoutMs: number;
  /** Write backpressure: writes wait while the search projections are more than this many changes behind (0: off). */
  maxProjectionLag: number;
  /** How often an `api` process reads the workers' checkpoints while a request waits for them. */
  checkpointPollMs: number;
  /** This process's name in the consumer groups (reusing a name resumes its pending batches). */
  workerName: string;
}

/** Thrown by {@link loadConfig}: every problem, one per line, named by its environment variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** An empty variable is an unset one. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const urlWith = (protocols: string[], what: string) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected ${what} (${protocols.map((p) => `${p}//…`).join(' or ')})` },
  );

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const PROJECTOR_NAME = /^[a-z][a-z0-9-]*$/;

const envSchema = z.object({
  FHIR_ROLE: optional(z.enum(['all', 'api', 'projector'])),
  FHIR_STORE: optional(
    z.union([z.literal('lmdb'), urlWith(['postgres:', 'postgresql:'], "'lmdb' or a PostgreSQL URL")], {
      error: "expected 'lmdb' or a PostgreSQL URL (postgres://user@host:5432/db)",
    }),
  ),
  FHIR_STORE_SCHEMA: optional(
    z.string().regex(IDENTIFIER, 'expected an SQL identifier (letters, digits, _; at most 63)'),
  ),
  FHIR_STORE_MAX_CONNECTIONS: optional(integer(1, 1000)),
  DATA_DIR: optional(z.string()),
  FHIR_STREAM: optional(urlWith(['nats:', 'redis:', 'rediss:'], 'a NATS or Redis URL')),
  FHIR_STREAM_PREFIX: optional(
    z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, _ and - only (a subject/key prefix)'),
  ),
  FHIR_ACK_WAIT_MS: optional(integer(100, 3_600_000)),
  FHIR_PROJECTORS: optional(
    z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().regex(PROJECTOR_NAME, 'expected projector names like search-index'))),
  ),
  HOST: optional(z.string()),
  PORT: optional(integer(0, 65_535)),
  FHIR_CONSISTENCY_TIMEOUT_MS: optional(integer(0, 600_000)),
  FHIR_MAX_PROJECTION_LAG: optional(integer(0, 100_000_000)),
  FHIR_CHECKPOINT_POLL_MS: optional(integer(1, 60_000)),
  FHIR_WORKER_NAME: optional(z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, _ and -')),
});

/**
 * Read and validate the server's settings from the environment. Every
 * variable is optional: with none set this is `pnpm start`'s default (one
 * process, LMDB in `./.data`, everything in-process). Throws a
 * {@link ConfigError} listing every bad value, including combinations that
 * cannot work (an `api` role without a stream, LMDB shared between processes).
 *
 * @example
 * ```ts
 * const config = loadConfig({
 *   FHIR_STORE: 'postgres://postgres@127.0.0.1:5432/fhir',
 *   FHIR_STREAM: 'nats://127.0.0.1:4222',
 *   FHIR_ROLE: 'projector',
 *   FHIR_PROJECTORS: 'search-index',
 * });
 * config.role; // 'projector'
 * loadConfig({ FHIR_ROLE: 'api' }); // throws: FHIR_ROLE=api needs FHIR_STREAM …
 * ```
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        const value = env[name];
        return `${name}${value === undefined ? '' : `=${JSON.stringify(value)}`}: ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  const role: Role = e.FHIR_ROLE ?? 'all';
  const store: StoreConfig =
    e.FHIR_STORE === undefined || e.FHIR_STORE === 'lmdb'
      ? { kind: 'lmdb', dataDir: e.DATA_DIR ?? './.data' }
      : {
          kind: 'postgres',
          url: e.FHIR_STORE,
          schema: e.FHIR_STORE_SCHEMA ?? 'fhirstream',
          maxConnections: e.FHIR_STORE_MAX_CONNECTIONS ?? 10,
        };
  const stream: StreamConfig | undefined = e.FHIR_STREAM
    ? {
        kind: e.FHIR_STREAM.startsWith('nats:') ? 'nats' : 'redis',
        url: e.FHIR_STREAM,
        prefix: e.FHIR_STREAM_PREFIX ?? 'fhirstream',
        ackWaitMs: e.FHIR_ACK_WAIT_MS ?? 30_000,
      }
    : undefined;

  const problems: string[] = [];
  if (role !== 'all' && !stream) {
    problems.push(
      `FHIR_ROLE=${role} needs FHIR_STREAM (nats://… or redis://…): projector workers consume the change log ` +
        'from the broker. For one process leave FHIR_ROLE unset (all).',
    );
  }
  if (store.kind === 'lmdb' && role !== 'all') {
    problems.push(
      `FHIR_ROLE=${role} needs a store shared between processes (FHIR_STORE=postgres://…): LMDB is ` +
        'single-host, embedded in one process.',
    );
  }
  if (store.kind === 'lmdb' && e.FHIR_STORE_SCHEMA) {
    problems.push('FHIR_STORE_SCHEMA applies to a PostgreSQL store only (FHIR_STORE=postgres://…)');
  }
  if (role === 'api' && e.FHIR_PROJECTORS) {
    problems.push(
      'FHIR_PROJECTORS: an api process runs no projectors (set it on the projector workers); the api waits for ' +
        "the search engine's projectors only",
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    role,
    store,
    stream,
    projectors: e.FHIR_PROJECTORS,
    host: e.HOST ?? '127.0.0.1',
    port: e.PORT ?? (role === 'projector' ? 8081 : 8080),
    consistencyTimeoutMs: e.FHIR_CONSISTENCY_TIMEOUT_MS ?? 10_000,
    maxProjectionLag: e.FHIR_MAX_PROJECTION_LAG ?? 10_000,
    checkpointPollMs: e.FHIR_CHECKPOINT_POLL_MS ?? 20,
    workerName: e.FHIR_WORKER_NAME ?? `${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${process.pid}`,
  };
}

/**
 * A one-line summary for the startup log (no credentials).
 *
 * @example
 * ```ts
 * describeConfig(loadConfig({})); // 'role all, store lmdb (./.data), no stream'
 * ```
 */
export function describeConfig(config: ServerConfig): string {
  const store =
    config.store.kind === 'lmdb'
      ? `lmdb (${config.store.dataDir})`
      : `postgres (${redact(config.store.url)}, schema ${config.store.schema})`;
  const stream = config.stream
    ? `${config.stream.kind} (${redact(config.stream.url)}, prefix ${config.stream.prefix})`
    : 'no stream';
  return `role ${config.role}, store ${store}, ${stream}`;
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
