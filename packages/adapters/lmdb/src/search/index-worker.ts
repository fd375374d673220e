/**
 * The index worker: a thread that applies large batches to the search index
 * (extraction, key encoding and LMDB writes), so that the main thread keeps
 * serving requests and committing while the index catches up. It opens the
 * same LMDB environments (lmdb-js shares them between threads) and runs the same
 * {@link SearchIndexWriter} as the main thread does for small batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SearchParameterRegistry } from '@fhirstream/core';
import { openLmdbBackend } from '../lmdb-backend.js';
import { openSearchIndexEnv } from './index-env.js';
import {
  fromWire,
  type IndexRequest,
  type IndexResponse,
  type IndexWorkerData,
  isLogRange,
  readLogRange,
} from './index-worker-protocol.js';
import { SearchIndexWriter } from './index-writer.js';

const data = workerData as IndexWorkerData;
/** The store's environment, for the versions an update replaces. */
const backend = openLmdbBackend(data.backend);
const env = openSearchIndexEnv(data.backend.path);
const registry = new SearchParameterRegistry({ builtIns: data.builtIns });
const writer = new SearchIndexWriter(env, registry, (type, id, vid) => backend.readVersion(type, id, vid));
const port = parentPort!;

/** Replace the runtime parameters with the main thread's. */
function syncRegistry(custom: readonly { url: string }[]): void {
  const wanted = new Set(custom.map((d) => d.url));
  for (const d of registry.custom) if (!wanted.has(d.url)) registry.remove(d.url);
  for (const d of custom) registry.add(d as Parameters<SearchParameterRegistry['add']>[0]);
}

/** Requests are handled one at a time, in order. */
let queue: Promise<void> = Promise.resolve();

port.on('message', (request: IndexRequest) => {
  queue = queue.then(async () => {
    let response: IndexResponse;
    try {
      // See the main thread's commits (lmdb-js keeps a read snapshot until its next timer tick).
      backend.dbs.root.resetReadTxn();
      env.root.resetReadTxn();
      if (request.kind === 'apply') {
        if (request.registry) syncRegistry(request.registry);
        const { batch } = request;
        const events = isLogRange(batch) ? await readLogRange(backend, batch) : fromWire(batch);
        response = { id: request.id, ok: true, written: await writer.apply(events) };
      } else if (request.kind === 'forget') {
        writer.forget(request.generation);
        response = { id: request.id, ok: true };
      } else {
        await env.close();
        await backend.dbs.root.close();
        response = { id: request.id, ok: true };
      }
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      response = { id: request.id, ok: false, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
    }
    port.postMessage(response);
  });
});

// Started: large batches may come here now.
port.postMessage({ id: 0, ok: true, ready: true } satisfies IndexResponse);
