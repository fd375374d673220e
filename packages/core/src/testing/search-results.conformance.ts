/** The search conformance suite: results, writes and paging. */
import { describe, expect, it } from 'vitest';
import type { SearchParams } from '../search/types.js';
import type { AnyResource } from '../store/types.js';
import {
  freshHarness,
  LOINC,
  refs,
  SEARCH_CONFORMANCE_DATA,
  type SearchConformanceOptions,
  sharedHarness,
  UCUM,
} from './search-conformance.fixture.js';

export function describeResults(options: SearchConformanceOptions): void {
  describe('results', () => {
    const f = sharedHarness(options, SEARCH_CONFORMANCE_DATA);
    const order = async (params: SearchParams) =>
      (await f().search('Patient', params)).matches.map((m) => m.id);

    it('sorts by one and several keys, descending, missing last', async () => {
      expect(await order([['_sort', 'family']])).toEqual(['p4', 'p2', 'p1', 'p3']);
      expect(await order([['_sort', '-family']])).toEqual(['p3', 'p1', 'p2', 'p4']);
      expect(await order([['_sort', '-birthdate']])).toEqual(['p2', 'p3', 'p1', 'p4']);
      expect(await order([['_sort', 'birthdate']])).toEqual(['p3', 'p1', 'p2', 'p4']);
      expect(await order([['_sort', 'gender,-birthdate']])).toEqual(['p2', 'p3', 'p1', 'p4']);
      expect(await order([['_sort', '-_id']])).toEqual(['p4', 'p3', 'p2', 'p1']);
      expect(await order([])).toHaveLength(4);
    });
    it('_total, _summary=count, _count=0', async () => {
      expect((await f().search('Patient', [['_total', 'accurate']])).total).toBe(4);
      expect((await f().search('Patient', [['_total', 'none']])).total).toBeUndefined();
      const count = await f().search('Patient', [['_summary', 'count']]);
      expect(count.matches).toEqual([]);
      expect(count.total).toBe(4);
      const filtered = await f().search('Observation', [
        ['_summary', 'count'],
        ['code', '1234-5'],
      ]);
      expect(filtered.total).toBe(3);
      expect(filtered.included).toEqual([]);
      const zero = await f().search('Patient', [['_count', '0']]);
      expect(zero.matches).toEqual([]);
      expect(zero.total).toBe(4);
      expect(zero.next).toBeUndefined();
    });
    it('strict rejects and lenient warns on unknown or unsupported parameters', async () => {
      const strict = { handling: 'strict' as const };
      await expect(f().search('Patient', [['nope', 'x']], strict)).rejects.toMatchObject({
        code: 'unknown-parameter',
      });
      await expect(f().search('Patient', [['name:nope', 'x']], strict)).rejects.toMatchObject({
        code: 'unknown-parameter',
      });
      await expect(f().search('Patient', [['_filter', 'x']], strict)).rejects.toMatchObject({
        code: 'not-supported',
      });
      const r = await f().search('Patient', [
        ['nope', 'x'],
        ['gender', 'female'],
      ]);
      expect(r.matches.map((m) => m.id)).toEqual(['p2']);
      expect(r.selfParams).toEqual([['gender', 'female']]);
      expect(r.warnings).toHaveLength(1);
      await expect(f().search('Patient', [['birthdate', 'xx1980']])).rejects.toMatchObject({
        code: 'invalid',
      });
    });
    it('lists the parameters it supports', () => {
      const names = f()
        .fixture.search.parametersFor('Patient')
        .map((p) => p.name);
      for (const n of ['_id', '_lastUpdated', 'name', 'birthdate', 'gender', 'organization'])
        expect(names).toContain(n);
      expect(names).not.toContain('_filter');
    });
  });
}

const pages = (ids: string[], family = 'Page') =>
  ids.map(
    (id, i) =>
      ({
        resourceType: 'Patient',
        id,
        name: [{ family }],
        birthDate: `19${String(50 + (i % 40)).padStart(2, '0')}`,
      }) as AnyResource,
  );
const paramOf = (params: SearchParams | undefined, name: string) => params?.find(([n]) => n === name)?.[1];

export function describeWrites(options: SearchConformanceOptions): void {
  describe('writes and paging', () => {
    const f = freshHarness(options);

    it('searches an empty store', async () => {
      const r = await f().search('Patient', [['name', 'x']]);
      expect(r.matches).toEqual([]);
      expect(r.total).toBe(0);
    });
    it('reflects updates and deletes, in matches and includes', async () => {
      await f().load(SEARCH_CONFORMANCE_DATA);
      // Full text searched before the update too: what it has built must follow the update.
      expect(await f().ids('Organization', [['_content', 'beta']])).toEqual(['Organization/o2']);
      await f().load([{ resourceType: 'Organization', id: 'o2', name: 'Gamma Clinic' } as AnyResource]);
      expect(await f().ids('Organization', [['name', 'beta']])).toEqual([]);
      expect(await f().ids('Organization', [['name', 'gamma']])).toEqual(['Organization/o2']);
      expect(await f().ids('Organization', [['_content', 'gamma']])).toEqual(['Organization/o2']);
      expect(await f().ids('Organization', [['_content', 'beta']])).toEqual([]);
      await f().remove('ValueSet', 'vs3');
      expect(await f().ids('ValueSet', [])).toEqual(['ValueSet/vs1', 'ValueSet/vs2']);
      await f().remove('Practitioner', 'pr1');
      const r = await f().search('Observation', [
        ['_id', 'obs1'],
        ['_include', '*'],
      ]);
      expect(refs(r.included)).toEqual(['Patient/p1']);
      expect(await f().ids('Practitioner', [['_content', 'house']])).toEqual([]);
      // Re-created after the delete: found again.
      await f().load([
        { resourceType: 'Practitioner', id: 'pr1', name: [{ family: 'Wilson' }] } as AnyResource,
      ]);
      expect(await f().ids('Practitioner', [['name', 'wilson']])).toEqual(['Practitioner/pr1']);
      expect(await f().ids('Practitioner', [['name', 'house']])).toEqual([]);
    });
    it('_summary=count equals the number of matches through repeats, updates and deletes', async () => {
      const obs = (id: string, codes: string[], subject: string) =>
        ({
          resourceType: 'Observation',
          id,
          status: 'final',
          code: { coding: codes.map((code) => ({ system: LOINC, code })) },
          subject: { reference: subject },
        }) as AnyResource;
      const queries: SearchParams[] = [
        [['code', `${LOINC}|1-1`]],
        [['code', '1-1']],
        [['code', `${LOINC}|1-1,${LOINC}|2-2`]],
        [['subject', 'Patient/a']],
        [['subject', 'a']],
        [['code:not', `${LOINC}|1-1`]],
        [['code', `${LOINC}|2-2`]],
      ];
      const count = async (code: string) =>
        (
          await f().search('Observation', [
            ['code', `${LOINC}|${code}`],
            ['_summary', 'count'],
          ])
        ).total;
      const agree = async () => {
        for (const q of queries) {
          const counted = await f().search('Observation', [...q, ['_summary', 'count']]);
          expect(counted.total, JSON.stringify(q)).toBe((await f().ids('Observation', q)).length);
        }
      };
      // c1 carries the code twice: it is one match.
      await f().load([
        obs('c1', ['1-1', '1-1', '2-2'], 'Patient/a'),
        obs('c2', ['1-1'], 'Patient/a'),
        obs('c3', ['2-2'], 'Patient/b'),
      ]);
      await agree();
      expect(await count('1-1')).toBe(2);
      await f().load([obs('c2', ['2-2'], 'Patient/b')]);
      await agree();
      await f().remove('Observation', 'c1');
      await agree();
      expect(await count('1-1')).toBe(0);
      expect(await count('2-2')).toBe(2);
    });
    it('updates replace every index value of the previous version', async () => {
      await f().load([
        {
          resourceType: 'Observation',
          id: 'u1',
          status: 'final',
          code: { coding: [{ system: LOINC, code: '1-1' }] },
          subject: { reference: 'Patient/a' },
          effectiveDateTime: '2020-01-01',
          valueQuantity: { value: 1, system: UCUM, code: 'mg' },
        } as AnyResource,
      ]);
      await f().load([
        {
          resourceType: 'Observation',
          id: 'u1',
          status: 'amended',
          code: { coding: [{ system: LOINC, code: '2-2' }] },
          subject: { reference: 'Patient/b' },
          effectiveDateTime: '2021-01-01',
          valueQuantity: { value: 2, system: UCUM, code: 'mg' },
        } as AnyResource,
      ]);
      const o = (params: SearchParams) => f().ids('Observation', params);
      for (const [k, old, now] of [
        ['status', 'final', 'amended'],
        ['code', '1-1', '2-2'],
        ['subject', 'Patient/a', 'Patient/b'],
        ['date', '2020', '2021'],
        ['value-quantity', `1|${UCUM}|mg`, `2|${UCUM}|mg`],
      ] as const) {
        expect(await o([[k, old]])).toEqual([]);
        expect(await o([[k, now]])).toEqual(['Observation/u1']);
      }
    });
    it('pages stay stable while writes continue: no repeats, no skips', async () => {
      const first = Array.from({ length: 25 }, (_, i) => `m${String(i).padStart(2, '0')}`);
      await f().load(pages(first));
      const seen: string[] = [];
      let page = await f().search('Patient', [
        ['family', 'page'],
        ['_count', '10'],
        ['_sort', 'birthdate'],
      ]);
      expect(page.total).toBe(25);
      seen.push(...page.matches.map((m) => m.id));
      // Rows that sort before, between and after the first page are written between pages.
      await f().load(pages(['a0', 'm055', 'z9'], 'Page'));
      while (page.next) {
        page = await f().search('Patient', page.next);
        seen.push(...page.matches.map((m) => m.id));
      }
      expect(seen).toHaveLength(25);
      expect(new Set(seen)).toEqual(new Set(first));
      const fresh = await f().search('Patient', [
        ['family', 'page'],
        ['_total', 'accurate'],
      ]);
      expect(fresh.total).toBe(28);
    });
    it('previous goes back to the same rows; cursors belong to their query', async () => {
      await f().load(pages(Array.from({ length: 12 }, (_, i) => `q${String(i).padStart(2, '0')}`)));
      const p1 = await f().search('Patient', [
        ['_count', '5'],
        ['_sort', '-_id'],
      ]);
      expect(p1.previous).toBeUndefined();
      const p2 = await f().search('Patient', p1.next!);
      expect(p2.matches.map((m) => m.id)).toEqual(['q06', 'q05', 'q04', 'q03', 'q02']);
      expect(p2.previous).toBeDefined();
      const back = await f().search('Patient', p2.previous!);
      expect(back.matches.map((m) => m.id)).toEqual(p1.matches.map((m) => m.id));
      expect(p1.matches.map((m) => m.id)).toEqual(['q11', 'q10', 'q09', 'q08', 'q07']);
      const p3 = await f().search('Patient', p2.next!);
      expect(p3.matches.map((m) => m.id)).toEqual(['q01', 'q00']);
      expect(p3.next).toBeUndefined();
      expect(paramOf(p1.next, '_cursor')).toBeTruthy();
      await expect(
        f().search('Patient', [
          ['_count', '6'],
          ['_cursor', paramOf(p1.next, '_cursor')!],
        ]),
      ).rejects.toMatchObject({ code: 'invalid' });
      const again = await f().search('Patient', [
        ['_sort', '-_id'],
        ['_count', '5'],
      ]);
      expect(again.matches.map((m) => m.id)).toEqual(p1.matches.map((m) => m.id));
    });
    it('pages a sort with missing values and ties', async () => {
      const data = pages(Array.from({ length: 9 }, (_, i) => `t${i}`));
      for (const [i, r] of data.entries()) if (i % 3 === 0) delete (r as { birthDate?: string }).birthDate;
      await f().load(data);
      const all = (await f().search('Patient', [['_sort', '-birthdate,_id']])).matches.map((m) => m.id);
      const paged: string[] = [];
      let page = await f().search('Patient', [
        ['_sort', '-birthdate,_id'],
        ['_count', '2'],
      ]);
      paged.push(...page.matches.map((m) => m.id));
      while (page.next) {
        page = await f().search('Patient', page.next);
        paged.push(...page.matches.map((m) => m.id));
      }
      expect(paged).toEqual(all);
      expect(all.slice(-3)).toEqual(['t0', 't3', 't6']);
    });
    it('runtime SearchParameter: backfilled in the background, not-ready until then', async (ctx) => {
      const add = f().fixture.search.addSearchParameter?.bind(f().fixture.search);
      if (!add) return ctx.skip();
      await f().load([
        {
          resourceType: 'Patient',
          id: 'n1',
          name: [{ use: 'nickname', given: ['Bobby'] }, { family: 'Roberts' }],
        } as AnyResource,
        { resourceType: 'Patient', id: 'n2', name: [{ family: 'Other' }] } as AnyResource,
      ]);
      const done = add({
        url: 'http://example.org/SearchParameter/nickname',
        code: 'nickname',
        base: ['Patient'],
        type: 'string',
        expression: "Patient.name.where(use='nickname').given",
      });
      await expect(
        f().search('Patient', [['nickname', 'bob']], { handling: 'strict' }),
      ).rejects.toMatchObject({ code: 'not-ready' });
      const lenient = await f().search('Patient', [['nickname', 'bob']]);
      expect(lenient.warnings[0]).toMatchObject({ severity: 'warning', code: 'transient' });
      await done;
      expect(await f().ids('Patient', [['nickname', 'bob']])).toEqual(['Patient/n1']);
      await f().load([
        { resourceType: 'Patient', id: 'n3', name: [{ use: 'nickname', given: ['Bobbie'] }] } as AnyResource,
      ]);
      expect(await f().ids('Patient', [['nickname', 'bob']])).toEqual(['Patient/n1', 'Patient/n3']);
      expect(
        f()
          .fixture.search.parametersFor('Patient')
          .some((p) => p.name === 'nickname'),
      ).toBe(true);
    });
  });
}
