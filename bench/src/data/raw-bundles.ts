import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** A bundle file as it is on disk (JSON text), for posting to a server unchanged. */
export interface RawBundle {
  file: string;
  type: 'batch' | 'transaction';
  json: string;
  entries: number;
}

/**
 * The Synthea bundles as JSON text, `0-*` (batches of conditional creates) first.
 *
 * @example
 * ```ts
 * const bundles = loadRawBundles(dir, 10);
 * ```
 */
export function loadRawBundles(dir: string, limit = Number.POSITIVE_INFINITY): RawBundle[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json.gz'))
    .sort((a, b) => Number(b.startsWith('0-')) - Number(a.startsWith('0-')) || a.localeCompare(b))
    .slice(0, limit);
  return files.map((file) => {
    const json = gunzipSync(readFileSync(join(dir, file))).toString('utf8');
    const parsed = JSON.parse(json) as { type: 'batch' | 'transaction'; entry?: unknown[] };
    return { file, type: parsed.type, json, entries: parsed.entry?.length ?? 0 };
  });
}
