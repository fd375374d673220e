import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { openLmdbStore } from '@fhirstream/lmdb';
import { open } from 'lmdb';
import type { Workload } from '../harness/types.js';
import { runLoad } from '../load/load-generator.js';
import { listenBare, listenFhirstream } from './http-server.js';

const PATIENT = JSON.stringify({
  resourceType: 'Patient',
  active: true,
  name: [{ family: 'Bench', given: ['Mark'] }],
  gender: 'female',
  birthDate: '1980-05-17',
  identifier: [{ system: 'urn:bench', value: '42' }],
});

/**
 * POST [base]/Patient over HTTP (validate, assign id and version, commit
 * durably with its change event), next to a bare node:http server that
 * parses the body and puts it into raw LMDB with the same durability.
 */
export const httpCreate: Workload = {
  name: 'http.create',
  issue: '#3',
  description: 'POST [base]/Patient over HTTP vs bare node:http + JSON.parse + raw LMDB put (flushed)',
  async run(ctx) {
    const store = openLmdbStore({ path: join(ctx.dir, 'store') });
    const db = open({ path: join(ctx.dir, 'raw'), compression: false });
    const fhir = await listenFhirstream(store);
    const raw = await listenBare((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const resource = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const id = randomUUID();
        await db.put(`Patient/${id}`, JSON.stringify({ ...resource, id }));
        await db.flushed;
        res.writeHead(201, { location: `/fhir/Patient/${id}` });
        res.end();
      });
    });
    const requests = [
      {
        method: 'POST',
        path: '/fhir/Patient',
        body: PATIENT,
        headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' },
      },
    ];
    const duration = ctx.quick ? 3 : 8;
    try {
      const bare = await runLoad({ url: raw.url, requests, duration });
      const mine = await runLoad({ url: fhir.url, requests, duration });
      if (mine.non2xx > 0 || mine.errors > 0)
        throw new Error(`create: ${mine.non2xx} non-2xx, ${mine.errors} errors`);
      return [
        {
          name: 'POST Patient, 32 connections',
          unit: 'req/s',
          value: Math.round(mine.requestsPerSecond),
          baseline: { name: 'bare node:http + raw LMDB put', value: Math.round(bare.requestsPerSecond) },
        },
        {
          name: 'POST Patient latency p99',
          unit: 'ms',
          better: 'lower',
          value: mine.latencyP99,
          baseline: { name: 'bare', value: bare.latencyP99 },
        },
      ];
    } finally {
      await fhir.close();
      await raw.close();
      await store.close();
      await db.close();
    }
  },
};
