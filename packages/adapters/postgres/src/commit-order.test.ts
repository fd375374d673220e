import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type ChangeEvent, createStore, type ResourceStore } from '@fhirstream/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Ack, type Nack, runWriter, SHARED_IDS } from './commit-order-writer.js';
import { openPostgresBackend, type PostgresBackend } from './postgres-backend.js';
import { dropSchema, POSTGRES_URL, randomSchema, suiteTitle } from './test-database.js';

const WRITER = fileURLToPath(new URL('./commit-order-writer.ts', import.meta.url));
/** The repository root, where `--import tsx` resolves. */
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

const IN_PROCESS_WRITERS = 3;
const CHILD_WRITERS = 2;
const LOOPS = 2;
const COMMITS = 120;

type Result = { ack: Ack } | { nack: Nack };

interface ChildWriter {
  /** Resolves once the child has opened the store. */
  ready: Promise<void>;
  /** Start writing. */
  go(): void;
  /** What it reported, once it exited. */
  results: Promise<Result[]>;
}

/** Run the writer in a child process. */
function spawnChildWriter(schema: string, name: string): ChildWriter {
  const child = spawn(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      WRITER,
      POSTGRES_URL!,
      schema,
      name,
      String(LOOPS),
      String(COMMITS),
    ],
    { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (out.startsWith('{"ready":true}\n')) onReady();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const results = new Promise<Result[]>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const lines = out.split('\n').filter(Boolean);
      if (code !== 0 || lines.at(-1) !== '{"done":true}') {
        reject(new Error(`writer ${name} exited with ${code}: ${err}`));
        return;
      }
      resolve(lines.slice(1, -1).map((line) => JSON.parse(line) as Result));
    });
  });
  // a child that dies before it is ready fails the test instead of hanging it
  return { ready: Promise.race([ready, results.then(() => {})]), go: () => child.stdin.end('go\n'), results };
}

describe.skipIf(!POSTGRES_URL)(suiteTitle('postgres commit order'), () => {
  const schema = randomSchema('fs_order');
  const backends: PostgresBackend[] = [];
  const open = async (maxConnections: number) => {
    const backend = await openPostgresBackend({ connectionString: POSTGRES_URL!, schema, maxConnections });
    backends.push(backend);
    return backend;
  };
  beforeAll(async () => {
    await open(2); // creates the schema before the writers race to open it
  });
  afterAll(async () => {
    for (const b of backends) await b.close();
    await dropSchema(schema);
  });

  it('lets a follower see every seq exactly once, in order, while processes and pools commit concurrently', async () => {
    const reader = createStore(await open(2));
    const seen: number[] = [];
    const outOfOrder: string[] = [];
    let writing = true;
    // A follower as the projector runtime is one: read from `next`, move past what it read.
    const follow = (async () => {
      let next = 1;
      for (;;) {
        const done = !writing; // read once more after the writers finished
        const batch: ChangeEvent[] = await reader.readChanges(next, 100);
        for (const e of batch) {
          if (e.seq !== next) outOfOrder.push(`expected seq ${next}, read ${e.seq}`);
          seen.push(e.seq);
          next = e.seq + 1;
        }
        if (done && batch.length === 0) return;
      }
    })();

    const results: Result[] = [];
    const stores: ResourceStore[] = [];
    for (let w = 0; w < IN_PROCESS_WRITERS; w++) stores.push(createStore(await open(LOOPS)));
    try {
      const children = Array.from({ length: CHILD_WRITERS }, (_, c) => spawnChildWriter(schema, `child${c}`));
      await Promise.all(children.map((c) => c.ready));
      for (const c of children) c.go();
      await Promise.all([
        ...stores.map((store, w) => runWriter(store, `pool${w}`, LOOPS, COMMITS, (r) => results.push(r))),
        ...children.map(async (c) => results.push(...(await c.results))),
      ]);
    } finally {
      writing = false;
      await follow;
    }

    const acks = results.flatMap((r) => ('ack' in r ? [r.ack] : []));
    const nacks = results.flatMap((r) => ('nack' in r ? [r.nack] : []));
    // The follower never read past a seq it had not seen.
    expect(outOfOrder).toEqual([]);
    expect(nacks).toEqual([]);
    expect(acks).toHaveLength((IN_PROCESS_WRITERS + CHILD_WRITERS) * LOOPS * COMMITS);

    // It saw the whole log, each seq once, in order, with no gap.
    const total = acks.reduce((sum, a) => sum + a.n, 0);
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1));

    // The log is exactly the acknowledged commits, each one a contiguous run with its txId.
    const log = await reader.readChanges(1, total + 10);
    expect(log.map((e) => e.seq)).toEqual(seen);
    const bySeq = new Map(log.map((e) => [e.seq, e]));
    for (const ack of acks) {
      for (let seq = ack.seq - ack.n + 1; seq <= ack.seq; seq++) {
        expect(bySeq.get(seq)?.txId, `seq ${seq} of ${ack.txId}`).toBe(ack.txId);
      }
    }
    expect(new Set(log.map((e) => e.txId))).toEqual(new Set(acks.map((a) => a.txId)));

    // Heads were read under the lock: each shared resource's versions are 1, 2, 3, … in seq order.
    for (const id of SHARED_IDS) {
      const versions = log.filter((e) => e.id === id).map((e) => Number(e.versionId));
      expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => i + 1));
      expect((await reader.read('Patient', id))!.versionId).toBe(String(versions.length));
    }
    expect(await reader.headSeq()).toBe(total);
  }, 60_000);
});
