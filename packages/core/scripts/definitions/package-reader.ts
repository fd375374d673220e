import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A loosely typed JSON object read from the package. */
// biome-ignore lint/suspicious/noExplicitAny: raw definition JSON is walked dynamically
export type Json = Record<string, any>;

/**
 * Reads the resources of the `hl7.fhir.r4.examples` package, grouped by the
 * resourceType prefix of their file names (`StructureDefinition-Patient.json`).
 */
export class PackageReader {
  private readonly files: string[];

  constructor(readonly dir: string) {
    this.files = readdirSync(dir)
      .filter((f) => f.endsWith('.json') && f !== 'package.json' && /^[A-Z]/.test(f))
      .sort();
  }

  /** Every resource whose file name starts with `${resourceType}-`, in file name order. */
  byType(resourceType: string): Json[] {
    const out: Json[] = [];
    for (const file of this.files) {
      if (!file.startsWith(`${resourceType}-`)) continue;
      const json = this.read(file);
      if (json.resourceType === resourceType) out.push(json);
    }
    return out;
  }

  /** Parse one file of the package. */
  read(file: string): Json {
    return JSON.parse(readFileSync(join(this.dir, file), 'utf8')) as Json;
  }

  /** Whether a file exists in the package. */
  has(file: string): boolean {
    return this.files.includes(file);
  }
}

/** Strip a `|version` suffix from a canonical URL. */
export function unversioned(canonical: string): string {
  const bar = canonical.indexOf('|');
  return bar < 0 ? canonical : canonical.slice(0, bar);
}

/** Compare strings by code unit (locale-independent, hence deterministic). */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
