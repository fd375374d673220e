/**
 * The patient compartment index in the store's own LMDB environment, kept by
 * an {@link lmdbProjector} (writes and checkpoint in one transaction).
 *
 * Keys of the generation database:
 * - `['m', patientId, type, id]` → `[lastUpdated, seq, careLow, careHigh, references]` (a membership)
 * - `['r', type, id]` → `patientIds[]` (the reverse record, to drop stale memberships)
 * - `['p', patientId]` → `1` (the Patient exists)
 */
import { type ChangeEvent, patientCompartmentTypes } from '@fhirstream/core';
import { type LmdbBackend, type LmdbProjector, lmdbProjector } from '@fhirstream/lmdb';
import { type MembershipFacts, type MembershipOptions, membershipExtractor } from './membership.js';
import type { CompartmentMember, MembersOptions, PatientCompartmentIndex } from './types.js';

type Key = Array<string>;
type MemberValue = [
  lastUpdated: string,
  seq: number,
  low: number | null,
  high: number | null,
  refs: string[],
];
type IndexDb = ReturnType<LmdbProjector<unknown, Key>['db']>;

const HIGH = '\u{10FFFF}';

/** Options of {@link lmdbCompartmentIndex}. */
export interface LmdbCompartmentIndexOptions extends MembershipOptions {
  /** Projector name (default `patient-compartment`). */
  name?: string;
}

/** The LMDB patient compartment index, with its projector. */
export interface LmdbCompartmentIndex extends PatientCompartmentIndex {
  readonly projector: LmdbProjector<unknown, Key>;
}

/**
 * Create the LMDB patient compartment index. Register `projector` in the
 * projector runtime; it is rebuilt from the change log like every projector.
 *
 * @example
 * ```ts
 * const backend = openLmdbBackend({ path: './.data' });
 * const store = createStore(backend);
 * const runtime = createProjectorRuntime(store);
 * const compartments = lmdbCompartmentIndex(backend);
 * await runtime.register(compartments.projector);
 * const members = await compartments.membersOf('p1');
 * ```
 */
export function lmdbCompartmentIndex(
  backend: LmdbBackend,
  options: LmdbCompartmentIndexOptions = {},
): LmdbCompartmentIndex {
  const facts = membershipExtractor(options);
  const types = new Set(patientCompartmentTypes());
  types.add('Patient');
  const projector = lmdbProjector<unknown, Key>(backend, {
    name: options.name ?? 'patient-compartment',
    version: 1,
    handles: (e) => types.has(e.resourceType),
    project(batch: ChangeEvent[]) {
      const computed: Array<MembershipFacts | undefined> = batch.map((e) =>
        e.action === 'delete' || !e.resource ? undefined : facts(e.resource),
      );
      return (db) => {
        for (let i = 0; i < batch.length; i++) applyOne(db, batch[i]!, computed[i]);
      };
    },
  });

  const db = (): IndexDb => projector.db();

  return {
    projector,
    async membersOf(patientId, opts: MembersOptions = {}) {
      const out: CompartmentMember[] = [];
      const ranges = opts.types
        ? [...new Set(opts.types)].sort().map((t) => [
            ['m', patientId, t],
            ['m', patientId, t, HIGH],
          ])
        : [
            [
              ['m', patientId],
              ['m', patientId, HIGH],
            ],
          ];
      for (const [start, end] of ranges) {
        for (const { key, value } of db().getRange({ start: start!, end: end! })) {
          const [, , type, id] = key as Key;
          const [lastUpdated, seq, low, high, references] = value as MemberValue;
          if (opts.since !== undefined && lastUpdated < opts.since) continue;
          const member: CompartmentMember = { resourceType: type!, id: id!, lastUpdated, seq, references };
          if (low !== null && high !== null) member.careDate = [low, high];
          out.push(member);
        }
      }
      return out;
    },
    async compartmentsOf(resourceType, id) {
      return ((db().get(['r', resourceType, id]) as string[] | undefined) ?? []).slice();
    },
    async patients({ after, limit = Number.POSITIVE_INFINITY } = {}) {
      const out: string[] = [];
      const start = after === undefined ? ['p'] : ['p', `${after}\u0000`];
      for (const key of db().getKeys({ start, end: ['p', HIGH] })) {
        if (out.length >= limit) break;
        out.push((key as Key)[1]!);
      }
      return out;
    },
  };
}

function applyOne(db: IndexDb, e: ChangeEvent, facts: MembershipFacts | undefined): void {
  const { resourceType: type, id } = e;
  const old = (db.get(['r', type, id]) as string[] | undefined) ?? [];
  const now = facts?.patients ?? [];
  for (const pid of old) if (!now.includes(pid)) db.remove(['m', pid, type, id]);
  if (facts) {
    const value: MemberValue = [
      e.lastUpdated,
      e.seq,
      facts.careDate ? facts.careDate[0] : null,
      facts.careDate ? facts.careDate[1] : null,
      facts.references,
    ];
    for (const pid of now) db.put(['m', pid, type, id], value);
  }
  if (now.length > 0) db.put(['r', type, id], now);
  else if (old.length > 0) db.remove(['r', type, id]);
  if (type === 'Patient') {
    if (e.action === 'delete') db.remove(['p', id]);
    else db.put(['p', id], 1);
  }
}
