import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** A resource of a sample, with the id both servers give it. */
export type SampleResource = { resourceType: string; id: string } & Record<string, unknown>;

/** Bundles of a Synthea folder, ready to POST, and the resources they hold. */
export interface SyntheaSample {
  bundles: Array<{ file: string; json: string }>;
  resources: SampleResource[];
}

/**
 * The shared batches (`0-*` files) and the first `patientBundles` patient
 * transactions of a Synthea folder, with every `urn:uuid` create turned into
 * an update under that uuid: loaded into several servers, every resource gets
 * the same id in each, so references and pages compare as they are.
 *
 * @example
 * ```ts
 * const sample = loadSyntheaSample('../shared/data/synthea-100', 18);
 * for (const b of sample.bundles) await client.request('/', { method: 'POST', body: b.json });
 * ```
 */
export function loadSyntheaSample(dir: string, patientBundles: number): SyntheaSample {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json.gz'))
    .sort((a, b) => a.localeCompare(b));
  const chosen = [
    ...files.filter((f) => f.startsWith('0-')),
    ...files.filter((f) => !f.startsWith('0-')).slice(0, patientBundles),
  ];
  const sample: SyntheaSample = { bundles: [], resources: [] };
  for (const file of chosen) {
    const bundle = JSON.parse(gunzipSync(readFileSync(join(dir, file))).toString('utf8')) as {
      entry: Array<{ fullUrl?: string; resource: SampleResource; request: Record<string, string> }>;
    };
    for (const e of bundle.entry) {
      sample.resources.push(e.resource);
      if (e.request.method !== 'POST' || !e.fullUrl?.startsWith('urn:uuid:')) continue;
      e.resource.id = e.fullUrl.slice('urn:uuid:'.length);
      e.request = { method: 'PUT', url: `${e.resource.resourceType}/${e.resource.id}` };
    }
    sample.bundles.push({ file, json: JSON.stringify(bundle) });
  }
  return sample;
}
