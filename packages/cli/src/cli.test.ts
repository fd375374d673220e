/**
 * The CLI as a user runs it: spawned as a process (tsx, source condition),
 * importing a directory of Bundles and ndjson into a temp data dir, then
 * exporting it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'fhirstream-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) =>
  spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'packages/cli/src/cli.ts', ...args],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    },
  );

describe('fhirstream CLI', () => {
  it('imports Bundles (with urn:uuid and conditional references) and ndjson, then exports', () => {
    const input = join(dir, 'in');
    mkdirSync(input);
    writeFileSync(
      join(input, '0-orgs.json'),
      JSON.stringify({
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          {
            fullUrl: 'urn:uuid:8a0e6a3e-0000-4000-8000-000000000001',
            resource: {
              resourceType: 'Organization',
              identifier: [{ system: 'http://x', value: 'org-1' }],
              name: 'Hospital',
            },
            request: { method: 'POST', url: 'Organization', ifNoneExist: 'identifier=http://x|org-1' },
          },
        ],
      }),
    );
    writeFileSync(
      join(input, 'patient.json'),
      JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: 'urn:uuid:8a0e6a3e-0000-4000-8000-000000000002',
            resource: {
              resourceType: 'Patient',
              managingOrganization: { reference: 'Organization?identifier=http://x|org-1' },
            },
            request: { method: 'POST', url: 'Patient' },
          },
          {
            fullUrl: 'urn:uuid:8a0e6a3e-0000-4000-8000-000000000003',
            resource: {
              resourceType: 'Observation',
              status: 'final',
              code: { text: 'x' },
              subject: { reference: 'urn:uuid:8a0e6a3e-0000-4000-8000-000000000002' },
            },
            request: { method: 'POST', url: 'Observation' },
          },
        ],
      }),
    );
    writeFileSync(
      join(input, 'more.ndjson'),
      [
        { resourceType: 'Patient', id: 'nd1' },
        { resourceType: 'Patient', id: 'bad', gender: 'dog' },
        { resourceType: 'Practitioner', id: 'dr1' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const data = join(dir, 'data');
    const imported = run('import', input, '--data-dir', data);
    expect(imported.stderr).toBe('');
    expect(imported.status).toBe(2); // one invalid line
    expect(imported.stdout).toMatch(/Imported 5 resources from 3 file\(s\)/);
    expect(imported.stdout).toMatch(/resources\/s/);
    expect(imported.stdout).toMatch(/Errors: 1\n.*line 2: Patient\.gender/);

    const out = join(dir, 'out');
    const exported = run('export', '--type', 'Patient,Observation,Organization', out, '--data-dir', data);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/Exported 4 resources/);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.output.map((o: { type: string; count: number }) => [o.type, o.count])).toEqual([
      ['Patient', 2],
      ['Observation', 1],
      ['Organization', 1],
    ]);
    const patients = readFileSync(join(out, 'Patient.1.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const org = JSON.parse(readFileSync(join(out, 'Organization.1.ndjson'), 'utf8'));
    const fromBundle = patients.find((p) => p.id !== 'nd1');
    expect(fromBundle.managingOrganization.reference).toBe(`Organization/${org.id}`);
    const obs = JSON.parse(readFileSync(join(out, 'Observation.1.ndjson'), 'utf8'));
    expect(obs.subject.reference).toBe(`Patient/${fromBundle.id}`);
  });

  it('fails clearly on a bad argument', () => {
    const r = run('export', '--type', 'Nope', join(dir, 'x'), '--data-dir', join(dir, 'data2'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Unknown resource type: Nope/);
  });
});
