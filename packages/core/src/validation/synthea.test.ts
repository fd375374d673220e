import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { validateResource } from './validate-resource.js';

/** `../shared/data/synthea-100` relative to the repository root. */
const dataDir = fileURLToPath(new URL('../../../../../shared/data/synthea-100/', import.meta.url));
const hasData = existsSync(dataDir);

describe.skipIf(!hasData)(`Synthea bundles (skipped: no test data at ${dataDir})`, () => {
  const files = hasData
    ? readdirSync(dataDir)
        .filter((f) => f.endsWith('.json.gz'))
        .sort()
        .slice(0, 5)
    : [];

  for (const file of files) {
    it(`validates every resource of ${file} with zero errors`, () => {
      const bundle = JSON.parse(gunzipSync(readFileSync(dataDir + file)).toString('utf8'));
      expect(validateResource(bundle)).toEqual([]);
      const failures: string[] = [];
      for (const [i, entry] of (bundle.entry as { resource: { resourceType: string } }[]).entries()) {
        const issues = validateResource(entry.resource);
        for (const issue of issues) failures.push(`entry[${i}] ${issue.expression[0]}: ${issue.diagnostics}`);
      }
      expect(failures).toEqual([]);
      expect(bundle.entry.length).toBeGreaterThan(0);
    });
  }
});
