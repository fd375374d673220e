import { createHash } from 'node:crypto';

/** PostgreSQL truncates identifiers (and NOTIFY channels) longer than this many bytes. */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * Quote an SQL identifier (`"a""b"` for `a"b`).
 *
 * @example
 * ```ts
 * quoteIdent('fhirstream'); // '"fhirstream"'
 * ```
 */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0'))
    throw new Error(`Invalid SQL identifier: ${JSON.stringify(name)}`);
  if (Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) {
    throw new Error(`SQL identifier longer than ${MAX_IDENTIFIER_BYTES} bytes: ${name}`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/** The quoted, schema-qualified names of the store's tables. */
export interface StoreTables {
  schema: string;
  migrations: string;
  log: string;
  heads: string;
  logHead: string;
  checkpoints: string;
}

/**
 * The tables of the store in `schema`.
 *
 * @example
 * ```ts
 * storeTables('fhirstream').log; // '"fhirstream"."log"'
 * ```
 */
export function storeTables(schema: string): StoreTables {
  const s = quoteIdent(schema);
  return {
    schema: s,
    migrations: `${s}."schema_migrations"`,
    log: `${s}."log"`,
    heads: `${s}."heads"`,
    logHead: `${s}."log_head"`,
    checkpoints: `${s}."checkpoints"`,
  };
}

/**
 * The NOTIFY channel on which commits to `schema` are announced: `<schema>_commits`,
 * or a hash of it when that would be too long for a channel name.
 *
 * @example
 * ```ts
 * commitChannel('fhirstream'); // 'fhirstream_commits'
 * ```
 */
export function commitChannel(schema: string): string {
  const channel = `${schema}_commits`;
  if (Buffer.byteLength(channel) <= MAX_IDENTIFIER_BYTES) return channel;
  return `fhirstream_${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
}
