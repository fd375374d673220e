import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateResource } from './validate-resource.js';

const packageDir = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));

/**
 * Resources of the official package that are invalid per the R4 specification
 * itself, with the expressions the validator must report for them.
 */
const KNOWN_INVALID: Record<string, { reason: string; expressions: string[] }> = {
  'ImplementationGuide-fhir.json': {
    reason: 'ImplementationGuide.name and .status are 1..1 but absent',
    expressions: ['ImplementationGuide.name', 'ImplementationGuide.status'],
  },
  'Questionnaire-qs1.json': {
    reason: 'nested items lack the required linkId (1..1); 32 of them',
    expressions: ['Questionnaire.item[0].item[0].linkId'],
  },
  'SearchParameter-questionnaireresponse-extensions-QuestionnaireResponse-item-subject.json': {
    reason: 'the id has 71 characters; ids are limited to 64',
    expressions: ['SearchParameter.id'],
  },
  ...Object.fromEntries(
    ['codesystem', 'valueset'].flatMap((prefix) =>
      ['author', 'effective', 'end', 'keyword', 'workflow'].map((code) => {
        const base = prefix === 'codesystem' ? 'CodeSystem' : 'ValueSet';
        return [
          `SearchParameter-${prefix}-extensions-${base}-${code}.json`,
          { reason: 'SearchParameter.base is 1..* but absent', expressions: ['SearchParameter.base'] },
        ];
      }),
    ),
  ),
};

const files = readdirSync(packageDir)
  .filter((f) => /^[A-Z].*\.json$/.test(f))
  .sort();

describe('official R4 examples (hl7.fhir.r4.examples)', () => {
  it('finds the package resources', () => {
    expect(files.length).toBeGreaterThan(5000);
  });

  it('validates every resource of the package (definitions included) with zero errors', () => {
    const failures: string[] = [];
    for (const file of files) {
      if (file in KNOWN_INVALID) continue;
      const issues = validateResource(JSON.parse(readFileSync(join(packageDir, file), 'utf8')));
      if (issues.length > 0) {
        failures.push(
          `${file}: ${issues
            .slice(0, 3)
            .map((i) => `${i.expression[0]} ${i.diagnostics}`)
            .join('; ')}`,
        );
      }
    }
    expect(failures).toEqual([]);
  });

  for (const [file, { reason, expressions }] of Object.entries(KNOWN_INVALID)) {
    it(`reports the known problem of ${file}: ${reason}`, () => {
      const issues = validateResource(JSON.parse(readFileSync(join(packageDir, file), 'utf8')));
      expect(issues.length).toBeGreaterThan(0);
      expect(issues.flatMap((i) => i.expression)).toEqual(expect.arrayContaining(expressions));
      expect(issues.every((i) => i.code === 'required' || i.code === 'value')).toBe(true);
    });
  }
});
