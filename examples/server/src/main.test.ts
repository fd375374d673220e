import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'fhirstream-start-'));

/** Start `pnpm start`'s entry point as a child, resolving with its printed FHIR base URL. */
function start(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'examples/server/src/main.ts'],
    {
      cwd: repoRoot,
      env: { ...process.env, PORT: '0', DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening at (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]!, output: () => out });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

describe('pnpm start (examples/server)', () => {
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serves the FHIR API, shuts down cleanly on SIGTERM, and keeps its data across a restart', async () => {
    const first = await start();
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fhir$/);
    const meta = await fetch(`${first.url}/metadata`);
    expect(meta.status).toBe(200);
    expect((await meta.json()).resourceType).toBe('CapabilityStatement');
    const created = await fetch(`${first.url}/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', gender: 'female' }),
    });
    expect(created.status).toBe(201);
    const location = created.headers.get('location')!;
    const found = await (await fetch(`${first.url}/Patient?gender=female`)).json();
    expect(found.total ?? found.entry.length).toBe(1);
    const code = exited(first.child);
    first.child.kill('SIGTERM');
    expect(await code).toBe(0);
    expect(first.output()).toContain('stopped');

    const second = await start();
    try {
      const read = await fetch(location.replace(first.url, second.url));
      expect(read.status).toBe(200);
      expect((await read.json()).gender).toBe('female');
    } finally {
      const code2 = exited(second.child);
      second.child.kill('SIGINT');
      expect(await code2).toBe(0);
    }
  });
});

describe('pnpm start ships subscriptions, $everything and Bulk Data', () => {
  it('advertises the generic topic, serves Patient/$everything and accepts a Bulk export kick-off', async () => {
    const server = await start();
    try {
      const cs = await (await fetch(`${server.url}/metadata`)).json();
      expect(JSON.stringify(cs)).toContain('https://fhirstream.dev/SubscriptionTopic/resource-change');
      const patient = await (
        await fetch(`${server.url}/Patient`, {
          method: 'POST',
          headers: { 'content-type': 'application/fhir+json' },
          body: JSON.stringify({ resourceType: 'Patient', gender: 'male' }),
        })
      ).json();
      await fetch(`${server.url}/Observation`, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        body: JSON.stringify({
          resourceType: 'Observation',
          status: 'final',
          code: { text: 'x' },
          subject: { reference: `Patient/${patient.id}` },
        }),
      });
      const everything = await (await fetch(`${server.url}/Patient/${patient.id}/$everything`)).json();
      expect(
        everything.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType).sort(),
      ).toEqual(['Observation', 'Patient']);
      const kickoff = await fetch(`${server.url}/$export`, {
        headers: { prefer: 'respond-async', accept: 'application/fhir+json' },
      });
      expect(kickoff.status).toBe(202);
      expect(kickoff.headers.get('content-location')).toContain('$export-status');
    } finally {
      const code = exited(server.child);
      server.child.kill('SIGTERM');
      expect(await code).toBe(0);
    }
  });
});
