import { afterEach, describe, expect, it } from 'vitest';
import { type BulkFixture, openBulkFixture } from '../testing/fixture.js';
import { membershipExtractor } from './membership.js';

let f: BulkFixture;
afterEach(async () => {
  await f?.close();
});

const obs = (id: string, patient: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Observation' as const,
  id,
  status: 'final' as const,
  code: { text: 'x' },
  subject: { reference: `Patient/${patient}` },
  ...extra,
});

const ids = async (pid: string) =>
  (await f.compartments.membersOf(pid)).map((m) => `${m.resourceType}/${m.id}`);

describe('patient compartment index (LMDB)', () => {
  it('indexes members per patient, the Patient itself included, ordered by type and id', async () => {
    f = await openBulkFixture({ search: false });
    await f.load([
      { resourceType: 'Patient', id: 'p1' },
      { resourceType: 'Patient', id: 'p2' },
      obs('o2', 'p1'),
      obs('o1', 'p1', { performer: [{ reference: 'Practitioner/d1' }] }),
      {
        resourceType: 'Encounter',
        id: 'e1',
        status: 'finished',
        class: { code: 'AMB' },
        subject: { reference: 'Patient/p2' },
      },
      { resourceType: 'Practitioner', id: 'd1' },
    ]);
    expect(await ids('p1')).toEqual(['Observation/o1', 'Observation/o2', 'Patient/p1']);
    expect(await ids('p2')).toEqual(['Encounter/e1', 'Patient/p2']);
    expect(await f.compartments.compartmentsOf('Observation', 'o1')).toEqual(['p1']);
    expect(await f.compartments.compartmentsOf('Practitioner', 'd1')).toEqual([]);
    expect(await f.compartments.patients()).toEqual(['p1', 'p2']);
    expect(await f.compartments.patients({ after: 'p1' })).toEqual(['p2']);
    const o1 = (await f.compartments.membersOf('p1', { types: ['Observation'] }))[0]!;
    expect(o1.references).toEqual(['Practitioner/d1']);
  });

  it('moves a resource whose subject moves to another patient, and removes it on delete', async () => {
    f = await openBulkFixture({ search: false });
    await f.load([
      { resourceType: 'Patient', id: 'p1' },
      { resourceType: 'Patient', id: 'p2' },
      obs('o1', 'p1'),
    ]);
    expect(await ids('p1')).toContain('Observation/o1');
    await f.load([obs('o1', 'p2')]);
    expect(await ids('p1')).toEqual(['Patient/p1']);
    expect(await ids('p2')).toEqual(['Observation/o1', 'Patient/p2']);
    expect(await f.compartments.compartmentsOf('Observation', 'o1')).toEqual(['p2']);
    const { seq } = await f.store.commit([{ op: 'delete', resourceType: 'Observation', id: 'o1' }]);
    await f.runtime.waitFor(seq);
    expect(await ids('p2')).toEqual(['Patient/p2']);
    expect(await f.compartments.compartmentsOf('Observation', 'o1')).toEqual([]);
    const del = await f.store.commit([{ op: 'delete', resourceType: 'Patient', id: 'p2' }]);
    await f.runtime.waitFor(del.seq);
    expect(await f.compartments.patients()).toEqual(['p1']);
  });

  it('puts a resource in several compartments (subject and performer) and filters by type and since', async () => {
    f = await openBulkFixture({ search: false });
    await f.load([
      { resourceType: 'Patient', id: 'p1' },
      { resourceType: 'Patient', id: 'p2' },
      obs('o1', 'p1', { performer: [{ reference: 'Patient/p2' }] }),
    ]);
    expect(await f.compartments.compartmentsOf('Observation', 'o1')).toEqual(['p1', 'p2']);
    const now = new Date(Date.now() + 60_000).toISOString();
    expect(await f.compartments.membersOf('p1', { since: now })).toEqual([]);
    expect((await f.compartments.membersOf('p1', { types: ['Patient'] })).map((m) => m.id)).toEqual(['p1']);
  });

  it('is rebuilt from the change log into the same state', async () => {
    f = await openBulkFixture({ search: false });
    await f.load([
      { resourceType: 'Patient', id: 'p1' },
      { resourceType: 'Patient', id: 'p2' },
      obs('o1', 'p1'),
      obs('o2', 'p1'),
    ]);
    await f.load([obs('o1', 'p2')]);
    await f.store.commit([{ op: 'delete', resourceType: 'Observation', id: 'o2' }]);
    const { seq } = await f.store.commit([{ op: 'update', resource: obs('o3', 'p1') }]);
    await f.runtime.waitFor(seq);
    const before = [await ids('p1'), await ids('p2')];
    const generation = f.runtime.generation(f.compartments.projector.name);
    await f.runtime.rebuild(f.compartments.projector.name);
    expect(f.runtime.generation(f.compartments.projector.name)).toBe(generation + 1);
    expect([await ids('p1'), await ids('p2')]).toEqual(before);
    expect(before).toEqual([
      ['Observation/o3', 'Patient/p1'],
      ['Observation/o1', 'Patient/p2'],
    ]);
  });
});

describe('membershipExtractor', () => {
  it('finds patients, the care date and references', () => {
    const facts = membershipExtractor()({
      resourceType: 'Encounter',
      id: 'e1',
      subject: { reference: 'Patient/p1' },
      period: { start: '2020-01-01', end: '2020-01-02' },
      serviceProvider: { reference: 'Organization/o1' },
      participant: [
        { individual: { reference: 'Practitioner/d1' } },
        { individual: { reference: 'Practitioner/d1' } },
      ],
    });
    expect(facts.patients).toEqual(['p1']);
    expect(facts.careDate).toEqual([Date.UTC(2020, 0, 1), Date.UTC(2020, 0, 3) - 1]);
    expect(facts.references.sort()).toEqual(['Organization/o1', 'Practitioner/d1']);
  });

  it('ignores absolute references to other servers unless they are local', () => {
    const r = { resourceType: 'Observation', subject: { reference: 'http://other/fhir/Patient/p9' } };
    expect(membershipExtractor()(r).patients).toEqual([]);
    expect(membershipExtractor({ localBaseUrls: ['http://other/fhir'] })(r).patients).toEqual(['p9']);
  });
});
