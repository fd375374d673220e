/**
 * Child program of the crash test: commits concurrently to an LMDB store and
 * runs a projector until it is killed (SIGKILL). Prints one line per event on
 * stdout, each written only after what it reports happened:
 *
 * - `READY` once the store is open and the projector registered;
 * - `ACK <json>` ({@link AckLine}) after each commit resolved;
 * - `NACK <json>` ({@link NackLine}) after a commit was rejected as a whole;
 * - `IDLE <headSeq>` (mode `idle`) once writing stopped and the projector caught up;
 * - `ERR <message>` on anything unexpected (then it exits with code 1).
 *
 * Usage: `node --conditions=source --import tsx crash-writer.ts <dbPath> <seed> [run|idle]`
 */
import {
  type AnyResource,
  createProjectorRuntime,
  createStore,
  FhirError,
  type WriteOp,
} from '@fhirstream/core';
import { openLmdbBackend } from '../lmdb-backend.js';
import { type AckLine, contentHash, counterProjector, type NackLine } from './crash-protocol.js';

const LOOPS = 8;
/** In mode `idle`, stop writing after this long, let the projector catch up, then wait to be killed. */
const IDLE_AFTER_MS = 300;

const [path, seedArg, mode = 'run'] = process.argv.slice(2);
if (!path || !seedArg) {
  process.stderr.write('usage: crash-writer.ts <dbPath> <seed> [run|idle]\n');
  process.exit(2);
}
const seed = Number(seedArg);
const random = mulberry32(seed * 7919 + 1);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

/** One protocol line. A line cut short by the kill is dropped by the parent; a lost one only checks less. */
const line = (text: string) => process.stdout.write(`${text}\n`);

/** What one loop knows of the resources it created (no other loop touches them). */
interface Owned {
  resourceType: 'Patient' | 'Observation';
  id: string;
  version: number;
  deleted: boolean;
}

let nextId = 0;
let stopping = false;

const backend = openLmdbBackend({ path });
const store = createStore(backend);
const runtime = createProjectorRuntime(store, { batchSize: 1 + Math.floor(random() * 8) });
runtime.errors$.subscribe(({ error }) => fail(`projector: ${String(error)}`));
await runtime.register(counterProjector(backend));
line('READY');

const loops = Array.from({ length: LOOPS }, (_, i) => writeLoop(i));
if (mode === 'idle') {
  setTimeout(() => void goIdle(), IDLE_AFTER_MS);
}
await Promise.all(loops).catch((error) => fail(String(error)));

async function goIdle(): Promise<void> {
  stopping = true;
  await Promise.all(loops);
  const head = await store.headSeq();
  await runtime.waitFor(head, { timeoutMs: 20_000 });
  line(`IDLE ${head}`);
  setInterval(() => {}, 60_000); // stay alive, idle, until killed
}

async function writeLoop(loop: number): Promise<void> {
  const owned: Owned[] = [];
  for (let k = 0; !stopping; k++) {
    const txId = `tx-${seed}-${loop}-${k}`;
    const ops: WriteOp[] = [];
    const hashes: Array<string | undefined> = [];
    const touched = new Set<Owned>();
    const count = 1 + Math.floor(random() * 5);
    for (let i = 0; i < count; i++) {
      const r = random();
      const target = owned.length > 0 ? pick(owned) : undefined;
      if (target && !touched.has(target) && r < 0.35) {
        touched.add(target);
        const resource = makeResource(target.resourceType, target.id);
        ops.push({
          op: 'update',
          resource,
          ...(!target.deleted && random() < 0.5 ? { ifMatch: String(target.version) } : {}),
        });
        hashes.push(contentHash(resource));
      } else if (target && !touched.has(target) && r < 0.5) {
        touched.add(target); // deleting a deleted resource is a noop
        ops.push({ op: 'delete', resourceType: target.resourceType, id: target.id });
        hashes.push(undefined);
      } else {
        const id = `c-${seed}-${nextId++}`;
        const resourceType = random() < 0.6 ? 'Patient' : 'Observation';
        const resource = makeResource(resourceType, id);
        const { id: _id, ...withoutId } = resource;
        ops.push({ op: 'create', id, resource: withoutId as AnyResource });
        hashes.push(contentHash(resource));
      }
    }
    // Sometimes a deliberately failing op: the whole commit must roll back.
    const doomed = random() < 0.12;
    if (doomed) {
      const live = owned.find((o) => !touched.has(o) && !o.deleted);
      if (live) {
        const resource = makeResource(live.resourceType, live.id);
        ops.splice(Math.floor(random() * (ops.length + 1)), 0, {
          op: 'update',
          resource,
          ifMatch: String(live.version + 1 + Math.floor(random() * 3)),
        });
      } else {
        ops.push({ op: 'delete', resourceType: 'Patient', id: `c-${seed}-${nextId++}`, ifMatch: '1' });
      }
    }

    try {
      const result = await store.commit({ txId, ops });
      if (doomed) {
        fail(`${txId} should have been rejected`);
        return;
      }
      const ack: AckLine = {
        txId: result.txId,
        seq: result.seq,
        ops: result.results.map((r, i) => ({
          resourceType: r.resourceType,
          id: r.id,
          outcome: r.outcome,
          ...(r.stored ? { versionId: r.stored.versionId, seq: r.stored.seq } : {}),
          ...(hashes[i] ? { hash: hashes[i] } : {}),
        })),
      };
      line(`ACK ${JSON.stringify(ack)}`);
      for (const r of result.results) {
        if (!r.stored) continue;
        let o = owned.find((x) => x.id === r.id);
        if (!o) {
          o = { resourceType: r.resourceType as Owned['resourceType'], id: r.id, version: 0, deleted: false };
          owned.push(o);
        }
        o.version = Number(r.stored.versionId);
        o.deleted = r.stored.deleted;
      }
    } catch (error) {
      if (!doomed || !(error instanceof FhirError) || error.code !== 'version-conflict') {
        fail(`${txId}: ${error instanceof Error ? error.stack : String(error)}`);
        return;
      }
      const nack: NackLine = {
        txId,
        ops: ops.map((op) => {
          if (op.op === 'delete') {
            return { op: op.op, resourceType: op.resourceType, id: op.id, fresh: !known(owned, op.id) };
          }
          const id = op.op === 'create' ? op.id! : op.resource.id;
          return { op: op.op, resourceType: op.resource.resourceType, id, fresh: !known(owned, id) };
        }),
      };
      line(`NACK ${JSON.stringify(nack)}`);
    }
    if (random() < 0.3) await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 3)));
  }
}

/** Whether the loop has written `id` before (its creates use fresh ids, never reused after a rejection). */
function known(owned: readonly Owned[], id: string): boolean {
  return owned.some((o) => o.id === id);
}

function makeResource(resourceType: Owned['resourceType'], id: string): AnyResource & { id: string } {
  const tag = random() < 0.3 ? { meta: { tag: [{ system: 'urn:crash', code: `t${seed}` }] } } : {};
  if (resourceType === 'Patient') {
    return {
      resourceType,
      id,
      ...tag,
      active: random() < 0.5,
      name: [{ family: `F${Math.floor(random() * 1e9)}`, given: ['Crash', `G${nextId}`] }],
    };
  }
  return {
    resourceType,
    id,
    ...tag,
    status: 'final',
    code: { text: `code-${Math.floor(random() * 1000)}` },
    valueQuantity: { value: Math.round(random() * 1e6) / 100, unit: 'mg' },
  };
}

function fail(message: string): void {
  stopping = true;
  process.stderr.write(`${message}\n`);
  process.stdout.write(`ERR ${message.replaceAll('\n', ' | ')}\n`, () => process.exit(1));
}

/** A small seeded PRNG (the schedule still varies with timing; the choices are reproducible). */
function mulberry32(a: number): () => number {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
