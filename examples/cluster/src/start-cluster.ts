import { parseArgs } from 'node:util';
import { searchIndexAvailable, startCluster } from './cluster.js';

/**
 * `pnpm --filter @fhirstream/example-cluster start [-- --apis 2 --workers 2 --port 8080 --keep]`
 *
 * Starts two API processes and two projector workers on PostgreSQL
 * (`FHIRSTREAM_POSTGRES_URL`, a fresh schema) and NATS JetStream
 * (`FHIRSTREAM_NATS_URL`, a fresh stream prefix), waits until all are
 * healthy, prints their URLs, and runs until Ctrl-C — then stops them and,
 * unless `--keep`, drops the schema and deletes the stream.
 */
const { values } = parseArgs({
  options: {
    apis: { type: 'string', default: '2' },
    workers: { type: 'string', default: '2' },
    port: { type: 'string', default: '8080' },
    projectors: { type: 'string' },
    keep: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});

const postgresUrl = process.env.FHIRSTREAM_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const streamUrl = process.env.FHIRSTREAM_NATS_URL ?? 'nats://127.0.0.1:4222';
console.log(
  `Starting a Fhirstream cluster on ${postgresUrl.replace(/:[^:@/]*@/, ':***@')} and ${streamUrl} …`,
);

const cluster = await startCluster({
  postgresUrl,
  streamUrl,
  apis: Number(values.apis),
  workers: Number(values.workers),
  basePort: Number(values.port),
  projectors: values.projectors
    ? values.projectors.split(',')
    : searchIndexAvailable()
      ? ['search-index', 'change-ledger']
      : ['change-ledger'],
  ackWaitMs: 5000,
  onOutput: (name, line) => {
    if (values.verbose || /error|warning|relay|exited/i.test(line)) console.log(`[${name}] ${line}`);
  },
}).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

console.log(`\nCluster ready (schema ${cluster.schema}, stream prefix ${cluster.prefix}):`);
for (const api of cluster.apis)
  console.log(`  ${api.name.padEnd(9)} FHIR ${api.url}   health ${api.healthUrl}`);
for (const w of cluster.workers) console.log(`  ${w.name.padEnd(9)} health ${w.healthUrl}`);
if (!searchIndexAvailable())
  console.log('\n(search answers not-supported: @fhirstream/postgres has no search index yet)');
console.log(
  '\nCtrl-C stops the cluster' +
    (values.keep ? ' (the schema and stream are kept).' : ' and removes its data.'),
);

for (const p of [...cluster.apis, ...cluster.workers]) {
  void p.exited.then((code) => {
    if (!stopping) console.log(`[${p.name}] exited (${code})`);
  });
}

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('stopping the cluster …');
  if (values.keep) await cluster.stop();
  else await cluster.destroy();
  console.log('stopped');
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
