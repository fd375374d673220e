import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { quoteIdent } from './sql-names.js';

/** The database the integration tests use; they are skipped when it is not set. */
export const POSTGRES_URL = process.env.FHIRSTREAM_POSTGRES_URL;

/**
 * The title of an integration suite: `name`, or why it was skipped (and a
 * warning on the console, so a skipped run is never mistaken for a pass).
 *
 * @example
 * ```ts
 * describe.skipIf(!POSTGRES_URL)(suiteTitle('postgres conformance'), () => { … });
 * ```
 */
export function suiteTitle(name: string): string {
  if (POSTGRES_URL) return name;
  console.warn(`${name}: SKIPPED — set FHIRSTREAM_POSTGRES_URL to run the PostgreSQL integration tests`);
  return `${name} (skipped: FHIRSTREAM_POSTGRES_URL not set)`;
}

/**
 * A fresh schema name for one test.
 *
 * @example
 * ```ts
 * randomSchema(); // 'fs_test_3f2a9c1b7e4d'
 * ```
 */
export function randomSchema(prefix = 'fs_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Drop a test schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}
