import { randomBytes } from 'node:crypto';
import { openPostgresBackend, type PostgresBackend, quoteIdent } from '@fhirstream/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, type ClusterProcess, searchIndexAvailable, startCluster } from './cluster.js';

const POSTGRES_URL = process.env.FHIRSTREAM_POSTGRES_URL;
const NATS_URL = process.env.FHIRSTREAM_NATS_URL;
const enabled = Boolean(POSTGRES_URL && NATS_URL);
const withSearch = searchIndexAvailable();

function title(): string {
  if (enabled) return 'cluster: 2 APIs + 2 projector workers on PostgreSQL and NATS JetStream';
  const why = 'set FHIRSTREAM_POSTGRES_URL and FHIRSTREAM_NATS_URL to run it';
  console.warn(`cluster test: SKIPPED — ${why}`);
  return `cluster (skipped: ${why})`;
}
const searchTitle = (name: string) =>
  withSearch ? name : `${name} (skipped: @fhirstream/postgres has no createPostgresSearchEngine yet)`;

/** The parts of FHIR JSON the checks read. */
interface Body {
  resourceType: string;
  id: string;
  meta: { versionId: string };
  type?: string;
  total?: number;
  gender?: string;
  subject?: { reference: string };
  entry?: Array<{ resource: Body; response: { status: string; location: string } }>;
  [element: string]: unknown;
}

interface Health {
  ok: boolean;
  relay: { leader: boolean; published?: number };
}

interface Reply {
  status: number;
  body: Body;
  headers: Headers;
}

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers = {},
): Promise<Reply> {
  const response = await fetch(`${base}/${path}`, {
    method,
    headers: { accept: 'application/fhir+json', 'content-type': 'application/fhir+json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Body) : ({} as Body),
    headers: response.headers,
  };
}

const total = (bundle: Body): number => bundle.total ?? bundle.entry?.length ?? 0;
const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe.skipIf(!enabled)(title(), () => {
  let cluster: Cluster;
  let backend: PostgresBackend;
  let ledger: string;
  let a: string;
  let b: string;
  const run = randomBytes(4).toString('hex');

  beforeAll(async () => {
    cluster = await startCluster({
      postgresUrl: POSTGRES_URL!,
      streamUrl: NATS_URL!,
      projectors: withSearch ? ['search-index', 'change-ledger'] : ['change-ledger'],
      ackWaitMs: 1500,
    });
    [a, b] = cluster.apis.map((api) => api.url) as [string, string];
    backend = await openPostgresBackend({
      connectionString: POSTGRES_URL!,
      schema: cluster.schema,
      maxConnections: 2,
    });
    ledger = `${quoteIdent(cluster.schema)}.${quoteIdent('p_change-ledger_g1_events')}`;
  }, 60_000);

  afterAll(async () => {
    await backend?.close();
    await cluster?.destroy(); // SIGTERM (then SIGKILL) every child, drop the schema, delete the stream
    for (const p of [...(cluster?.apis ?? []), ...(cluster?.workers ?? [])]) {
      expect(p.child.exitCode !== null || p.child.signalCode !== null, `${p.name} still running`).toBe(true);
    }
  }, 30_000);

  it('serves REST across both APIs: create, read, update, vread, history, transaction, search, delete', async () => {
    const created = await call(a, 'POST', 'Patient', { resourceType: 'Patient', gender: 'female' });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const readOnB = await call(b, 'GET', `Patient/${id}`);
    expect(readOnB.status).toBe(200);
    expect(readOnB.body.gender).toBe('female');

    const updated = await call(
      b,
      'PUT',
      `Patient/${id}`,
      { ...readOnB.body, gender: 'other' },
      { 'if-match': 'W/"1"' },
    );
    expect(updated.status).toBe(200);
    expect(updated.body.meta.versionId).toBe('2');
    const stale = await call(
      a,
      'PUT',
      `Patient/${id}`,
      { ...readOnB.body, gender: 'male' },
      { 'if-match': 'W/"1"' },
    );
    expect(stale.status).toBe(412);
    expect((await call(a, 'GET', `Patient/${id}`)).body.gender).toBe('other');
    expect((await call(a, 'GET', `Patient/${id}/_history/1`)).body.gender).toBe('female');
    const history = await call(b, 'GET', `Patient/${id}/_history`);
    expect(history.body.type).toBe('history');
    expect(history.body.entry!.map((e) => e.resource.meta.versionId)).toEqual(['2', '1']);

    const tx = await call(b, 'POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:0f2b2d4e-1c8a-4a55-9a0e-3f0d7c1e2a11',
          resource: { resourceType: 'Patient', name: [{ family: `Tx${run}` }] },
          request: { method: 'POST', url: 'Patient' },
        },
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { text: 'heart rate' },
            subject: { reference: 'urn:uuid:0f2b2d4e-1c8a-4a55-9a0e-3f0d7c1e2a11' },
          },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    });
    expect(tx.status).toBe(200);
    expect(tx.body.entry!.map((e) => e.response.status.slice(0, 3))).toEqual(['201', '201']);
    const [patientUrl, observationUrl] = tx.body.entry!.map(
      (e) => e.response.location.split('/_history')[0]!,
    );
    const observation = await call(a, 'GET', observationUrl!.replace(/^.*\/(Observation\/)/, '$1'));
    expect(observation.body.subject?.reference).toBe(patientUrl!.replace(/^.*\/(Patient\/)/, '$1'));

    if (withSearch) {
      for (const base of [a, b]) expect(total((await call(base, 'GET', `Patient?_id=${id}`)).body)).toBe(1);
    }
    expect([200, 204]).toContain((await call(a, 'DELETE', `Patient/${id}`)).status);
    expect((await call(b, 'GET', `Patient/${id}`)).status).toBe(410);
  });

  it.skipIf(!withSearch)(
    searchTitle('search after a write is read-your-writes on the API that wrote and on the other one'),
    async () => {
      for (let i = 0; i < 10; i++) {
        const [writer, other] = i % 2 === 0 ? [a, b] : [b, a];
        const family = `Ryw${run}n${i}`;
        const created = await call(writer, 'POST', 'Patient', {
          resourceType: 'Patient',
          name: [{ family }],
        });
        expect(created.status).toBe(201);
        expect(total((await call(other, 'GET', `Patient?family=${family}`)).body)).toBe(1);
        expect(total((await call(writer, 'GET', `Patient?family=${family}`)).body)).toBe(1);
        const renamed = { ...created.body, name: [{ family: `${family}x` }] };
        expect((await call(other, 'PUT', `Patient/${created.body.id}`, renamed)).status).toBe(200);
        expect(total((await call(writer, 'GET', `Patient?family=${family}x`)).body)).toBe(1);
        expect(total((await call(writer, 'GET', `Patient?family:exact=${family}`)).body)).toBe(0);
      }
    },
  );

  it('a projector worker SIGKILLed mid-stream: the other takes over, nothing lost or applied twice', async () => {
    const family = `Takeover${run}`;
    let written = 0;
    let stopWriting = false;
    const writer = async (lane: number) => {
      for (let i = lane; !stopWriting; i += 8) {
        const r = await call(i % 2 === 0 ? a : b, 'POST', 'Patient', {
          resourceType: 'Patient',
          name: [{ family }],
        });
        expect(r.status).toBe(201);
        written += 1;
      }
    };
    const writing = Promise.all(Array.from({ length: 8 }, (_, lane) => writer(lane)));
    const count = async () =>
      Number((await backend.pool.query(`SELECT count(*) AS n FROM ${ledger}`)).rows[0].n);
    const start = await count();
    await until('the workers to apply some of the writes', async () => (await count()) >= start + 100);

    // Kill the worker that relays the log (so the relay fails over too), while writes go on.
    const health = async (w: ClusterProcess) => (await fetch(w.healthUrl)).json() as Promise<Health>;
    const leaders = await Promise.all(cluster.workers.map(async (w) => (await health(w)).relay.leader));
    const victim = cluster.workers[Math.max(0, leaders.indexOf(true))]!;
    const survivor = cluster.workers.find((w) => w !== victim)!;
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    const killedAt = (await backend.pool.query('SELECT now() AS t')).rows[0].t as Date;
    const writtenAtKill = written;
    // Writes go on until the survivor has applied a good part of what came after the kill.
    await until('writes after the kill', async () => written >= writtenAtKill + 150);
    await until('the survivor to apply writes made after the kill', async () => {
      const { rows } = await backend.pool.query(
        `SELECT count(*)::int AS n FROM ${ledger} WHERE applied_at > $1`,
        [killedAt],
      );
      return rows[0].n >= 100;
    });
    stopWriting = true;
    await writing;

    const head = await backend.headSeq();
    await until('the survivor to apply everything', async () => {
      const checkpoint = await backend.checkpoints.get('remote/change-ledger-v1');
      return (checkpoint?.seq ?? 0) >= head;
    });
    const { rows } = await backend.pool.query(
      `SELECT count(*)::int AS n, count(DISTINCT seq)::int AS distinct_seqs, min(seq)::int AS first, max(seq)::int AS last,
              count(*) FILTER (WHERE applied_at > $1 AND worker = $2)::int AS by_survivor_after,
              count(*) FILTER (WHERE applied_at > $1 AND worker = $3)::int AS by_victim_after
         FROM ${ledger}`,
      [killedAt, survivor.name, victim.name],
    );
    expect(rows[0]).toEqual({
      n: head,
      distinct_seqs: head,
      first: 1,
      last: head,
      by_survivor_after: expect.any(Number),
      by_victim_after: 0,
    });
    expect(rows[0].by_survivor_after).toBeGreaterThan(0);
    // The survivor took over the relay too, and has published the whole log.
    await until('the survivor to lead the relay', async () => {
      const h = await health(survivor);
      return h.ok && h.relay.leader && h.relay.published === head;
    });

    if (withSearch) {
      // The search index, through both APIs (read-your-writes waits for the survivor).
      for (const base of [a, b]) {
        const found = await call(base, 'GET', `Patient?family=${family}&_summary=count`);
        expect(total(found.body)).toBe(written);
      }
    }
  }, 45_000);
});
