import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChangeEvent, createProjectorRuntime, createStore, type ResourceStore } from '@fhirstream/core';
import { afterAll, describe, expect, it } from 'vitest';
import { type LmdbBackend, openLmdbBackend } from '../lmdb-backend.js';
import {
  type AckLine,
  COUNTER_PROJECTOR,
  contentHash,
  counterProjector,
  type NackLine,
} from './crash-protocol.js';

const WRITER = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
/** The repository root, where `--import tsx` resolves. */
const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

/**
 * When each round's child is killed:
 * - `spawn`: right after spawning (before it opened the store);
 * - `ready`: as soon as it has opened the store and resumed its projector (before any ACK);
 * - `ack`: 150-900 ms after its first ACK (mid-commit, mid-projection);
 * - `idle`: after it stopped writing and its projector caught up.
 */
type KillAt = 'spawn' | 'ready' | 'ack' | 'idle';
const ROUNDS: KillAt[] = [
  'ack',
  'ack',
  'spawn',
  'ack',
  'ack',
  'ready',
  'ack',
  'idle',
  'ack',
  'ack',
  'ack',
  'ack',
];

interface ChildRun {
  acks: AckLine[];
  nacks: NackLine[];
  lines: string[];
  stderr: string;
  signal: NodeJS.Signals | null;
}

/** Spawn the writer, SIGKILL it at the moment `killAt` says, and collect what it printed. */
function runChild(dbPath: string, seed: number, killAt: KillAt): Promise<ChildRun> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      WRITER,
      dbPath,
      String(seed),
      killAt === 'idle' ? 'idle' : 'run',
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const run: ChildRun = { acks: [], nacks: [], lines: [], stderr: '', signal: null };
  let pending = '';
  let killTimer: NodeJS.Timeout | undefined;
  const kill = () => child.kill('SIGKILL');
  const watchdog = setTimeout(kill, 15_000); // never hang the test on a stuck child
  if (killAt === 'spawn') kill();

  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop()!; // an incomplete last line (cut by the kill) is ignored
    for (const text of parts) {
      run.lines.push(text);
      if (text.startsWith('ACK ')) {
        run.acks.push(JSON.parse(text.slice(4)) as AckLine);
        if (killAt === 'ack' && !killTimer) killTimer = setTimeout(kill, 150 + Math.random() * 750);
      } else if (text.startsWith('NACK ')) {
        run.nacks.push(JSON.parse(text.slice(5)) as NackLine);
      } else if (text === 'READY' && killAt === 'ready') {
        kill();
      } else if (text.startsWith('IDLE ') && killAt === 'idle') {
        setTimeout(kill, 50);
      }
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    run.stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(watchdog);
      clearTimeout(killTimer);
      run.signal = signal;
      resolve(run);
    });
  });
}

/** Fail with `message` unless `ok` (cheap enough for the hot loops over the whole log). */
function check(ok: boolean, message: () => string): void {
  if (!ok) expect.fail(message());
}

const ACTION_OF = { created: 'create', updated: 'update', deleted: 'delete' } as const;

/** Read the whole log and check it is gap-free, ordered and consistent with versions and heads. */
async function verifyLog(store: ResourceStore): Promise<{ head: number; byTx: Map<string, ChangeEvent[]> }> {
  const head = await store.headSeq();
  const byTx = new Map<string, ChangeEvent[]>();
  const last = new Map<string, ChangeEvent>();
  let expected = 1;
  let lastUpdated = '';
  let lastTx = '';
  for await (const e of store.changes(1)) {
    check(e.seq === expected, () => `log has a gap: seq ${e.seq} where ${expected} was expected`);
    expected += 1;
    // (d) lastUpdated is non-decreasing in seq
    check(e.lastUpdated >= lastUpdated, () => `lastUpdated goes back at seq ${e.seq}`);
    lastUpdated = e.lastUpdated;
    // the events of one commit are contiguous
    const events = byTx.get(e.txId);
    check(!events || lastTx === e.txId, () => `events of ${e.txId} are not contiguous (seq ${e.seq})`);
    if (events) events.push(e);
    else byTx.set(e.txId, [e]);
    lastTx = e.txId;
    // the version the event points at is readable and agrees with it
    const v = await store.readVersion(e.resourceType, e.id, e.versionId);
    check(
      v !== undefined &&
        v.seq === e.seq &&
        v.deleted === (e.action === 'delete') &&
        v.lastUpdated === e.lastUpdated &&
        (v.deleted || (v.resource?.meta?.versionId === e.versionId && v.resource.id === e.id)),
      () => `version of event ${e.seq} (${e.resourceType}/${e.id}/${e.versionId}) is missing or disagrees`,
    );
    // versions of one resource are 1, 2, 3, ... with a create after nothing or a delete
    const key = `${e.resourceType}/${e.id}`;
    const prev = last.get(key);
    check(
      Number(e.versionId) === (prev ? Number(prev.versionId) + 1 : 1) &&
        (e.action === 'create') === (!prev || prev.action === 'delete'),
      () =>
        `${e.action} of ${key} as version ${e.versionId} at seq ${e.seq} after ${prev?.action} ${prev?.versionId}`,
    );
    last.set(key, e);
  }
  expect(expected - 1, 'the log ends before headSeq').toBe(head);
  // the heads agree with the last event of each resource
  for (const [key, e] of last) {
    const current = await store.read(e.resourceType, e.id);
    check(
      current?.versionId === e.versionId &&
        current.seq === e.seq &&
        current.deleted === (e.action === 'delete'),
      () => `head of ${key} is ${current?.versionId}@${current?.seq}, its last event ${e.versionId}@${e.seq}`,
    );
  }
  return { head, byTx };
}

/** Every acknowledged write and its change events are there; nothing of a rejected commit is. */
async function verifyAcks(
  store: ResourceStore,
  byTx: Map<string, ChangeEvent[]>,
  acks: AckLine[],
  nacks: NackLine[],
): Promise<void> {
  for (const ack of acks) {
    const written = ack.ops.filter((op) => op.outcome !== 'noop');
    const events = byTx.get(ack.txId) ?? [];
    // (b) its events are there, contiguous, with its txId, ending at the seq it was acknowledged with
    check(
      events.length === written.length && (written.length === 0 || events.at(-1)!.seq === ack.seq),
      () => `acknowledged ${ack.txId} (seq ${ack.seq}) has ${events.length} of ${written.length} events`,
    );
    for (const [i, op] of written.entries()) {
      const e = events[i]!;
      check(
        e.seq === op.seq &&
          e.resourceType === op.resourceType &&
          e.id === op.id &&
          e.versionId === op.versionId &&
          e.action === ACTION_OF[op.outcome as keyof typeof ACTION_OF],
        () => `event ${e.seq} of ${ack.txId} is not ${op.outcome} ${op.id}/${op.versionId}@${op.seq}`,
      );
      // (a) the acknowledged version is there, with the content that was written
      const v = await store.readVersion(op.resourceType, op.id, op.versionId!);
      const ref = `${op.resourceType}/${op.id}/_history/${op.versionId}`;
      check(v !== undefined, () => `acknowledged ${ref} is missing`);
      check(v!.seq === op.seq && v!.deleted === (op.outcome === 'deleted'), () => `${ref} disagrees`);
      if (op.outcome !== 'deleted') {
        check(contentHash(v!.resource!) === op.hash, () => `content of ${ref} differs from what was written`);
      }
    }
  }
  for (const nack of nacks) {
    check(!byTx.has(nack.txId), () => `rejected ${nack.txId} left events`);
    for (const op of nack.ops) {
      // a fresh id (a create's, or a doomed delete's) was never written: it must not exist at all
      if (op.fresh) {
        const found = await store.read(op.resourceType, op.id);
        check(found === undefined, () => `rejected ${nack.txId} left ${op.resourceType}/${op.id}`);
      }
    }
  }
}

/** Check the counting projection as it is on disk: exactly the events up to its checkpoint, each once. */
function verifyProjection(backend: LmdbBackend, generation: number, upTo: number, when: string): void {
  const db = counterProjector(backend).db(generation);
  let marks = 0;
  for (const { key, value } of db.getRange()) {
    if (key === 'total') continue;
    const seq = Number(key.slice('applied:'.length));
    check(seq >= 1 && seq <= upTo, () => `${when}: effect of seq ${seq} beyond the checkpoint ${upTo}`);
    check(value === 1, () => `${when}: seq ${seq} applied ${value} times`);
    marks += 1;
  }
  expect(marks, `${when}: events applied (checkpoint ${upTo})`).toBe(upTo);
  expect(db.get('total') ?? 0, `${when}: total (checkpoint ${upTo})`).toBe(upTo);
}

describe('LMDB crash safety (SIGKILL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fhirstream-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`keeps every acknowledged write, a gap-free log and an exact projection across ${ROUNDS.length} kills`, async () => {
    /** Per `ack` round: how far the child's projector advanced the checkpoint before it died. */
    const childProgress: number[] = [];
    const allAcks: AckLine[] = [];
    const allNacks: NackLine[] = [];
    /** The head at the end of the previous round (the projection had caught up to it). */
    let previousHead = 0;
    for (const [round, killAt] of ROUNDS.entries()) {
      const run = await runChild(dir, round + 1, killAt);
      const where = `round ${round + 1} (${killAt})`;
      expect(run.signal, `${where}: child exited by itself: ${run.lines.at(-1)} ${run.stderr}`).toBe(
        'SIGKILL',
      );
      expect(
        run.lines.filter((l) => l.startsWith('ERR')),
        where,
      ).toEqual([]);
      if (killAt === 'ack') expect(run.acks.length, `${where}: acknowledged commits`).toBeGreaterThan(0);
      if (killAt === 'spawn' || killAt === 'ready') expect(run.acks, where).toEqual([]);
      allAcks.push(...run.acks);
      allNacks.push(...run.nacks);

      const backend = openLmdbBackend({ path: dir });
      const store = createStore(backend);
      try {
        const { head, byTx } = await verifyLog(store);
        expect(head, `${where}: head went back`).toBeGreaterThanOrEqual(previousHead);
        await verifyAcks(store, byTx, allAcks, allNacks);

        // (e) The projection on disk is exactly its checkpoint's worth: nothing lost, nothing twice.
        const state = await store.checkpoints.get(`projector/${COUNTER_PROJECTOR}`);
        const generation = (state?.active as number | undefined) ?? 1;
        const checkpointKey = `projector/${COUNTER_PROJECTOR}/g${generation}`;
        const before = (await store.checkpoints.get(checkpointKey))?.seq ?? 0;
        expect(before, `${where}: checkpoint`).toBeLessThanOrEqual(head);
        expect(before, `${where}: checkpoint went back`).toBeGreaterThanOrEqual(previousHead);
        verifyProjection(backend, generation, before, `${where}, before resuming`);
        if (killAt === 'ack') childProgress.push(before - previousHead);
        if (killAt === 'idle') expect(before, `${where}: the idle projector had caught up`).toBe(head);

        // Resume it from its checkpoint in this process and let it catch up.
        const runtime = createProjectorRuntime(store, { batchSize: 200 });
        const errors: unknown[] = [];
        runtime.errors$.subscribe((e) => errors.push(e.error));
        await runtime.register(counterProjector(backend));
        await runtime.waitFor(head, { timeoutMs: 20_000 });
        await runtime.stop();
        expect(errors, `${where}: projector errors`).toEqual([]);
        expect((await store.checkpoints.get(checkpointKey))?.seq).toBe(head);
        verifyProjection(backend, generation, head, `${where}, after resuming`);
        previousHead = head;
      } finally {
        await store.close();
      }
    }
    // The projection made progress in (nearly) every killed child, and that progress survived.
    const progressed = childProgress.filter((n) => n > 0).length;
    expect(progressed, `child projector progress per round: ${childProgress}`).toBeGreaterThanOrEqual(
      childProgress.length - 1,
    );
    expect(allNacks.length, 'rejected commits were exercised').toBeGreaterThan(0);
    expect(previousHead).toBeGreaterThan(0);
  }, 90_000);
});
