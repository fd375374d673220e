import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { officialCodeSystem, officialValueSet } from './official.js';
import { isOfficialVersion, OFFICIAL_PACKAGE_VERSION, officialVersion } from './official-versions.js';

const packageDir = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));
const definitions = readdirSync(packageDir)
  .filter((f) => f.startsWith('ValueSet-') || f.startsWith('CodeSystem-'))
  .map(
    (f) =>
      JSON.parse(readFileSync(join(packageDir, f), 'utf8')) as {
        resourceType: string;
        url?: string;
        version?: string;
      },
  );

describe('official versions', () => {
  it('reproduce the version of every ValueSet and CodeSystem of the package', () => {
    const wrong = definitions
      .filter((d) => d.url && d.version && !d.url.includes('|') && officialVersion(d.url) !== d.version)
      .map((d) => `${d.url} ${d.version} (rule: ${officialVersion(d.url!)})`);
    expect(wrong).toEqual([]);
    expect(definitions.length).toBeGreaterThan(2000);
  });

  it('url|version finds an official definition for its own version and the package version only', () => {
    for (const d of definitions) {
      if (!d.url || !d.version || d.url.includes('|')) continue;
      const find = d.resourceType === 'ValueSet' ? officialValueSet : officialCodeSystem;
      const plain = find(d.url);
      if (!plain) continue;
      expect(find(`${d.url}|${d.version}`), `${d.url}|${d.version}`).toBe(plain);
      expect(find(`${d.url}|${OFFICIAL_PACKAGE_VERSION}`)).toBe(plain);
      expect(find(`${d.url}|0.0.1-not-official`)).toBeUndefined();
    }
    expect(isOfficialVersion('http://hl7.org/fhir/ValueSet/administrative-gender', '3.0.2')).toBe(false);
  });
});
