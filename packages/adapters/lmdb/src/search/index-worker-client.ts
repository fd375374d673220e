/**
 * The main thread's side of the index worker: starts it on first use,
 * sends it batches and answers them in order, and starts a fresh one when
 * it died (what it was doing fails, and the runtime retries the batch).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SearchParameterRegistry } from '@fhirstream/core';
import type { LmdbBackendOptions } from '../lmdb-backend.js';
import {
  type IndexRequest,
  type IndexResponse,
  type IndexWorkerData,
  logRange,
  toWire,
} from './index-worker-protocol.js';
import type { IndexBatch } from './index-writer.js';

type Pending = { resolve(response: IndexResponse & { ok: true }): void; reject(error: Error): void };
type RequestBody = IndexRequest extends infer R ? (R extends IndexRequest ? Omit<R, 'id'> : never) : never;

/**
 * A search index worker thread.
 *
 * @example
 * ```ts
 * const worker = new IndexWorkerClient({ path: './.data' }, registry);
 * const written = await worker.apply({ generation: 1, checkpointKey, lastSeq, events });
 * await worker.close();
 * ```
 */
export class IndexWorkerClient {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  /** The registry version the running worker has (-1: none sent yet). */
  #sentRegistry = -1;
  #ready = false;

  constructor(
    private readonly backend: LmdbBackendOptions,
    private readonly registry: SearchParameterRegistry,
  ) {}

  /** Whether the worker has started and can take batches without a wait. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Start the worker in the background (it takes a moment to load), if it is not running. */
  warm(): void {
    this.#start();
  }

  /** Apply a batch in the worker; resolves to the `[type, id]` written, once committed. */
  async apply(batch: IndexBatch): Promise<Array<[string, string]>> {
    // Consecutive log entries: the worker reads them itself; else their bodies travel in one buffer.
    const range = logRange(batch);
    const wire = range ?? toWire(batch);
    const version = this.registry.version;
    const worker = this.#start();
    const registry = version !== this.#sentRegistry ? [...this.registry.custom] : undefined;
    this.#sentRegistry = version;
    const response = await this.#send(
      worker,
      { kind: 'apply', batch: wire, ...(registry ? { registry } : {}) },
      'bodies' in wire ? [wire.bodies.buffer as ArrayBuffer] : [],
    );
    return response.written ?? [];
  }

  /** Make the worker forget a generation (before it is dropped). */
  async forget(generation: number): Promise<void> {
    if (this.#worker) await this.#send(this.#worker, { kind: 'forget', generation });
  }

  /** Stop the worker (after the projector runtime stopped). */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    // The worker closes its LMDB handle first, so that stopping it interrupts no write.
    await this.#send(worker, { kind: 'close' }).catch(() => undefined);
    this.#worker = undefined;
    this.#ready = false;
    await worker.terminate();
  }

  #send(
    worker: Worker,
    body: RequestBody,
    transfer: ArrayBuffer[] = [],
  ): Promise<IndexResponse & { ok: true }> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // Keep the process alive while a request is out (and only then).
      worker.ref();
      worker.postMessage({ ...body, id } as IndexRequest, transfer);
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const { script, ...entry } = workerEntry();
    const data: IndexWorkerData = { backend: this.backend, builtIns: this.registry.builtIns };
    const worker = new Worker(script, { workerData: data, ...entry });
    worker.unref();
    worker.on('message', (response: IndexResponse) => {
      if (response.id === 0) {
        if (this.#worker === worker) this.#ready = true;
        return;
      }
      const pending = this.#pending.get(response.id);
      if (!pending) return;
      this.#pending.delete(response.id);
      if (this.#pending.size === 0) worker.unref();
      if (response.ok) pending.resolve(response);
      else {
        const error = new Error(`search index worker: ${response.message}`);
        if (response.stack) error.stack = response.stack;
        pending.reject(error);
      }
    });
    const fail = (error: Error) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.#ready = false;
      this.#sentRegistry = -1;
      for (const p of this.#pending.values()) p.reject(error);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`search index worker exited (code ${code})`)));
    this.#worker = worker;
    return worker;
  }
}

/**
 * The worker's module: the built `index-worker.js` beside this file, or, when
 * running from the TypeScript sources (tests, `pnpm start`), the source
 * loaded through tsx's API with the `source` export condition (a worker's
 * entry module does not go through the parent's `--import` loader hooks).
 */
function workerEntry(): { script: URL | string; eval?: true; execArgv?: string[] } {
  const built = new URL('./index-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return { script: built };
  const source = new URL('./index-worker.ts', import.meta.url).href;
  // tsx's ESM API module (`require.resolve` names its CommonJS twin).
  const tsx = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const script = `import(${JSON.stringify(tsx)}).then((api) => api.tsImport(${JSON.stringify(source)}, ${JSON.stringify(source)})).catch((e) => setImmediate(() => { throw e; }));`;
  return { script, eval: true, execArgv: ['--conditions=source'] };
}
