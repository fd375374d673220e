/**
 * A writer for commit-order.test.ts: commits from several concurrent loops
 * and reports each acknowledged commit. Used in-process, and as a child
 * process (`node --conditions=source --import tsx commit-order-writer.ts
 * <url> <schema> <name> <loops> <commits>`), which prints `{"ready":true}` once
 * open, starts on a line on stdin, prints one JSON line per result and
 * `{"done":true}` at the end.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStore, type ResourceStore, type WriteOp } from '@fhirstream/core';
import { openPostgresBackend } from './postgres-backend.js';

/** An acknowledged commit: its events are `seq - n + 1 … seq`, all with `txId`. */
export interface Ack {
  txId: string;
  seq: number;
  n: number;
}

/** A commit that failed (never expected; the test asserts there are none). */
export interface Nack {
  txId: string;
  error: string;
}

/** The resources every writer updates, so that heads are contended too. */
export const SHARED_IDS = ['shared-0', 'shared-1', 'shared-2'];

/**
 * Run `loops` concurrent loops of `commits` commits each on `store`. Each
 * commit updates one shared Patient and creates 0-2 new ones.
 */
export async function runWriter(
  store: ResourceStore,
  name: string,
  loops: number,
  commits: number,
  report: (result: { ack: Ack } | { nack: Nack }) => void,
): Promise<void> {
  await Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      for (let i = 0; i < commits; i++) {
        const txId = `${name}-${loop}-${i}`;
        const ops: WriteOp[] = [
          {
            op: 'update',
            resource: { resourceType: 'Patient', id: SHARED_IDS[i % SHARED_IDS.length]!, gender: 'other' },
          },
        ];
        for (let k = (i + loop) % 3; k > 0; k--) {
          ops.push({ op: 'create', resource: { resourceType: 'Patient', name: [{ text: txId }] } });
        }
        try {
          const { seq } = await store.commit({ txId, ops });
          report({ ack: { txId, seq, n: ops.length } });
        } catch (error) {
          report({ nack: { txId, error: String(error) } });
        }
      }
    }),
  );
}

async function main(argv: string[]): Promise<void> {
  const [url, schema, name, loops, commits] = argv;
  const store = createStore(
    await openPostgresBackend({ connectionString: url!, schema: schema!, maxConnections: Number(loops) }),
  );
  try {
    // start together with the other writers: say ready, wait for the go line on stdin
    process.stdout.write('{"ready":true}\n');
    await new Promise((resolve) => process.stdin.once('data', resolve));
    process.stdin.pause();
    await runWriter(store, name!, Number(loops), Number(commits), (r) =>
      process.stdout.write(`${JSON.stringify(r)}\n`),
    );
  } finally {
    await store.close();
  }
  process.stdout.write('{"done":true}\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exit(1);
  });
}
