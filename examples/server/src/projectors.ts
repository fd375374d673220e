import type { Projector, SearchEngine } from '@fhirstream/core';
import { type PostgresBackend, type PostgresProjector, postgresProjector } from '@fhirstream/postgres';

/** What a projector of the catalog may be built from. */
export interface ProjectorSources {
  /** The search engine, whose projectors feed its index (when the store has one). */
  search: SearchEngine | undefined;
  /** The PostgreSQL backend, for projections kept next to a PostgreSQL store. */
  postgres: PostgresBackend | undefined;
  /** This process's name, recorded by projections that say who applied what. */
  workerName: string;
}

/** An entry of {@link PROJECTOR_CATALOG}. */
export interface CatalogEntry {
  description: string;
  /** The projectors, or why they are not available with this configuration. */
  create(sources: ProjectorSources): Projector[] | string;
}

/** The name of the search index in `FHIR_PROJECTORS`. */
export const SEARCH_INDEX = 'search-index';
/** The name of the change ledger in `FHIR_PROJECTORS`. */
export const CHANGE_LEDGER = 'change-ledger';

/**
 * The projectors a process can run by name (`FHIR_PROJECTORS=search-index,change-ledger`).
 *
 * @example
 * ```ts
 * const made = PROJECTOR_CATALOG['search-index']!.create({ search, postgres: undefined, workerName: 'w1' });
 * ```
 */
export const PROJECTOR_CATALOG: Record<string, CatalogEntry> = {
  [SEARCH_INDEX]: {
    description: "the search engine's index (LMDB, or PostgreSQL when @fhirstream/postgres provides it)",
    create: ({ search }) =>
      search
        ? search.projectors
        : 'no search engine for this store: @fhirstream/postgres does not export createPostgresSearchEngine yet',
  },
  [CHANGE_LEDGER]: {
    description: 'one row per change applied, with the worker that applied it (PostgreSQL)',
    create: ({ postgres, workerName }) =>
      postgres ? [changeLedger(postgres, workerName)] : 'change-ledger needs a PostgreSQL store',
  },
};

/**
 * Resolve `FHIR_PROJECTORS` into projectors; throws naming every unknown or
 * unavailable one. `undefined` (unset) selects the search index when this
 * store has a search engine, else nothing.
 *
 * @example
 * ```ts
 * selectProjectors(['search-index'], sources); // search.projectors
 * selectProjectors(['nope'], sources); // throws: Unknown projector "nope" (known: search-index, change-ledger)
 * ```
 */
export function selectProjectors(names: string[] | undefined, sources: ProjectorSources): Projector[] {
  const problems: string[] = [];
  const selected: Projector[] = [];
  for (const name of names ?? [SEARCH_INDEX]) {
    const entry = PROJECTOR_CATALOG[name];
    if (!entry) {
      problems.push(`Unknown projector "${name}" (known: ${Object.keys(PROJECTOR_CATALOG).join(', ')})`);
      continue;
    }
    const made = entry.create(sources);
    if (typeof made === 'string') {
      if (names) problems.push(`FHIR_PROJECTORS: ${name}: ${made}`);
    } else {
      for (const p of made) if (!selected.some((s) => s.name === p.name)) selected.push(p);
    }
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return selected;
}

/**
 * The change ledger: a PostgreSQL table `p_change-ledger_g<generation>_events`
 * with one row per change event applied — seq, resource, action, and the
 * worker that applied it. It is deliberately NOT idempotent (no key on seq):
 * its rows and checkpoint commit in one transaction, so a seq appearing twice
 * would prove an event applied twice, a missing one an event lost. The cluster
 * test reads it; operators can use it as an audit of who applied what.
 *
 * @example
 * ```ts
 * const ledger = changeLedger(backend, 'worker-1');
 * await runtime.register(ledger);
 * await backend.pool.query(`SELECT count(*) FROM ${ledger.table('events')}`);
 * ```
 */
export function changeLedger(backend: PostgresBackend, workerName: string): PostgresProjector {
  const ledger: PostgresProjector = postgresProjector(backend, {
    name: CHANGE_LEDGER,
    version: 1,
    async create(client, generation) {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${ledger.table('events', generation)} (
           seq bigint NOT NULL, resource_type text NOT NULL, id text NOT NULL, version_id text NOT NULL,
           action text NOT NULL, worker text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
    },
    async drop(client, generation) {
      await client.query(`DROP TABLE IF EXISTS ${ledger.table('events', generation)}`);
    },
    project: (batch, ctx) => async (client) => {
      await client.query(
        `INSERT INTO ${ledger.table('events', ctx.generation)} (seq, resource_type, id, version_id, action, worker)
         SELECT s, t, i, v, a, $6 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(s, t, i, v, a)`,
        [
          batch.map((e) => String(e.seq)),
          batch.map((e) => e.resourceType),
          batch.map((e) => e.id),
          batch.map((e) => e.versionId),
          batch.map((e) => e.action),
          workerName,
        ],
      );
    },
  });
  return ledger;
}
