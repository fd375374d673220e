import type { AnyResource, SearchParams } from '@fhirstream/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSearchFixture, type SearchFixture } from './search-fixture.js';

let f: SearchFixture;
beforeEach(async () => {
  f = await openSearchFixture();
});
afterEach(async () => {
  await f.close();
});

const patients = (ids: string[], family = 'Page') =>
  ids.map(
    (id, i) =>
      ({
        resourceType: 'Patient',
        id,
        name: [{ family }],
        birthDate: `19${String(50 + (i % 40)).padStart(2, '0')}`,
      }) as AnyResource,
  );

const param = (params: SearchParams | undefined, name: string) => params?.find(([n]) => n === name)?.[1];

describe('paging', () => {
  it('stays stable while writes continue: no repeats, no skips', async () => {
    const first = Array.from({ length: 25 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    await f.load(patients(first));
    const seen: string[] = [];
    let page = await f.search('Patient', [
      ['family', 'page'],
      ['_count', '10'],
      ['_sort', 'birthdate'],
    ]);
    expect(page.total).toBe(25);
    seen.push(...page.matches.map((m) => m.id));
    // Rows that sort before, between and after the first page are written between pages.
    await f.load(patients(['a0', 'm055', 'z9'], 'Page'));
    while (page.next) {
      page = await f.search('Patient', page.next);
      seen.push(...page.matches.map((m) => m.id));
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen)).toEqual(new Set(first));
    // A fresh search sees the new rows.
    expect(
      (
        await f.search('Patient', [
          ['family', 'page'],
          ['_total', 'accurate'],
        ])
      ).total,
    ).toBe(28);
  });
  it('previous goes back to the same rows; GET and POST params give the same result', async () => {
    await f.load(patients(Array.from({ length: 12 }, (_, i) => `q${String(i).padStart(2, '0')}`)));
    const p1 = await f.search('Patient', [
      ['_count', '5'],
      ['_sort', '-_id'],
    ]);
    const p2 = await f.search('Patient', p1.next!);
    expect(p2.previous).toBeDefined();
    const back = await f.search('Patient', p2.previous!);
    expect(back.matches.map((m) => m.id)).toEqual(p1.matches.map((m) => m.id));
    expect(p1.matches.map((m) => m.id)).toEqual(['q11', 'q10', 'q09', 'q08', 'q07']);
    expect(param(p1.next, '_cursor')).toBeTruthy();
    await expect(
      f.search('Patient', [
        ['_count', '6'],
        ['_cursor', param(p1.next, '_cursor')!],
      ]),
    ).rejects.toMatchObject({ code: 'invalid' });
    const again = await f.search('Patient', [
      ['_sort', '-_id'],
      ['_count', '5'],
    ]);
    expect(again.matches.map((m) => m.id)).toEqual(p1.matches.map((m) => m.id));
  });
});

describe('runtime SearchParameter', () => {
  it('is backfilled by a background rebuild, not-ready until then', async () => {
    await f.load([
      {
        resourceType: 'Patient',
        id: 'n1',
        name: [{ use: 'nickname', given: ['Bobby'] }, { family: 'Roberts' }],
      } as AnyResource,
      { resourceType: 'Patient', id: 'n2', name: [{ family: 'Other' }] } as AnyResource,
    ]);
    const done = f.engine.addSearchParameter({
      url: 'http://example.org/SearchParameter/nickname',
      code: 'nickname',
      base: ['Patient'],
      type: 'string',
      expression: "Patient.name.where(use='nickname').given",
    });
    await expect(f.search('Patient', [['nickname', 'bob']], { handling: 'strict' })).rejects.toMatchObject({
      code: 'not-ready',
    });
    const lenient = await f.search('Patient', [['nickname', 'bob']]);
    expect(lenient.warnings[0]).toMatchObject({ severity: 'warning', code: 'transient' });
    await done;
    expect(await f.ids('Patient', [['nickname', 'bob']])).toEqual(['Patient/n1']);
    await f.load([
      { resourceType: 'Patient', id: 'n3', name: [{ use: 'nickname', given: ['Bobbie'] }] } as AnyResource,
    ]);
    expect(await f.ids('Patient', [['nickname', 'bob']])).toEqual(['Patient/n1', 'Patient/n3']);
    expect(f.engine.parametersFor('Patient').some((p) => p.name === 'nickname')).toBe(true);
  });
});
