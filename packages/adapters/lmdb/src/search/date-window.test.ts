import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestContext } from '@fhirstream/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbedded } from '../embedded.js';

/**
 * Date clauses on one parameter are answered by one window scan
 * (`date-window.ts`) and chain checks by forward references
 * (`index-stats.ts`); both must give what each clause gives on its own.
 */
describe('date windows and chain checks', () => {
  let path: string;
  let embedded: ReturnType<typeof openEmbedded>;
  const ids = async (resourceType: string, params: Array<[string, string]>) => {
    const r = await embedded.search.search(
      { resourceType, params: [...params, ['_count', '1000']] },
      requestContext(),
    );
    return r.matches.map((m) => m.id).sort();
  };

  beforeAll(async () => {
    path = mkdtempSync(join(tmpdir(), 'fhirstream-date-window-'));
    embedded = openEmbedded({ path });
    for (const p of embedded.search.projectors) await embedded.runtime.register(p);
    const goal = (id: string, ...due: string[]) => ({
      op: 'update' as const,
      resource: {
        resourceType: 'Goal',
        id,
        lifecycleStatus: 'active',
        description: { text: id },
        subject: { reference: 'Patient/p1' },
        target: due.map((dueDate) => ({ dueDate })),
      },
    });
    const encounter = (id: string, start: string, end: string | undefined, patient: string) => ({
      op: 'update' as const,
      resource: {
        resourceType: 'Encounter',
        id,
        status: 'finished',
        class: { code: 'AMB' },
        subject: { reference: `Patient/${patient}` },
        period: { start, ...(end ? { end } : {}) },
      },
    });
    const { seq } = await embedded.store.commit([
      { op: 'update', resource: { resourceType: 'Patient', id: 'p1', gender: 'female' } },
      { op: 'update', resource: { resourceType: 'Patient', id: 'p2', gender: 'male' } },
      // Two values: one before 2011, one after 2019 (matches each clause with a different value).
      goal('two', '2010-05-01', '2020-05-01'),
      goal('one', '2015-05-01'),
      goal('late', '2021-01-01'),
      encounter('e1', '2015-03-01T10:00:00Z', '2015-03-01T11:00:00Z', 'p1'),
      encounter('e2', '2014-12-31T23:00:00Z', '2015-01-02T01:00:00Z', 'p2'),
      encounter('e3', '2010-01-01T00:00:00Z', undefined, 'p1'),
      encounter('e4', '2016-01-01T00:00:00Z', '2016-01-01T01:00:00Z', 'p2'),
      encounter('e5', '2001-01-01T00:00:00Z', '2015-06-01T00:00:00Z', 'p1'),
      ...Array.from({ length: 300 }, (_, i) =>
        encounter(
          `x${i}`,
          `20${String(i % 25).padStart(2, '0')}-02-03T10:00:00Z`,
          `20${String(i % 25).padStart(2, '0')}-02-03T10:30:00Z`,
          i % 2 ? 'p1' : 'p2',
        ),
      ),
    ]);
    await embedded.runtime.waitFor(seq, { timeoutMs: 30_000 });
  });
  afterAll(async () => {
    await embedded.close();
    rmSync(path, { recursive: true, force: true });
  });

  const intersection = async (type: string, clauses: Array<[string, string]>) => {
    let out: string[] | undefined;
    for (const c of clauses) {
      const one = await ids(type, [c]);
      out = out ? out.filter((id) => one.includes(id)) : one;
    }
    return out!;
  };

  it('matches each clause independently, with several values', async () => {
    const q: Array<[string, string]> = [
      ['target-date', 'ge2019-01-01'],
      ['target-date', 'lt2011-01-01'],
    ];
    expect(await ids('Goal', q)).toEqual(['two']);
    expect(
      await ids('Goal', [
        ['target-date', 'ge2015'],
        ['target-date', 'le2015'],
      ]),
    ).toEqual(['one', 'two']);
  });

  it('gives the intersection of the clauses on periods (long, open and short)', async () => {
    const cases: Array<Array<[string, string]>> = [
      [
        ['date', 'ge2015-01-01'],
        ['date', 'lt2016-01-01'],
      ],
      [
        ['date', 'gt2015-01-01'],
        ['date', 'le2015-12-31'],
      ],
      [
        ['date', 'sa2014'],
        ['date', 'eb2016'],
      ],
      [
        ['date', 'ge2015'],
        ['date', 'lt2016'],
        ['date', 'ne2015-03-01'],
      ],
      [
        ['date', 'eq2015'],
        ['date', 'ap2015-03-01'],
      ],
    ];
    for (const c of cases) expect(await ids('Encounter', c)).toEqual(await intersection('Encounter', c));
    expect(await ids('Encounter', cases[0]!)).toEqual(expect.arrayContaining(['e1', 'e2', 'e3', 'e5']));
  });

  it('checks chains from the index, the same on every repetition', async () => {
    const q: Array<[string, string]> = [
      ['date', 'ge2015'],
      ['subject:Patient.gender', 'female'],
    ];
    const expected = await intersection('Encounter', q);
    for (let i = 0; i < 3; i++) expect(await ids('Encounter', q)).toEqual(expected);
    expect(expected).toContain('e1');
    expect(expected).not.toContain('e2');
  });
});
