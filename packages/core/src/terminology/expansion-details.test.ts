import { describe, expect, it } from 'vitest';
import { describeExpansion, expansionTextFilter, ownDetails } from './expansion-details.js';
import { officialConcepts } from './official.js';

const GENDER = 'http://hl7.org/fhir/administrative-gender';

describe('expansion details', () => {
  it("the ValueSet's own display wins, the code system's is kept beside it; versions and inactive flags", () => {
    const own = ownDetails({
      resourceType: 'ValueSet',
      status: 'active',
      compose: { include: [{ system: GENDER, concept: [{ code: 'male', display: 'Man' }] }] },
      expansion: {
        timestamp: '2024-01-01',
        contains: [
          { system: 'http://x', code: 'a', contains: [{ system: 'http://x', code: 'b', inactive: true }] },
        ],
      },
    });
    expect([...own.keys()]).toEqual([`${GENDER}|male`, 'http://x|b']);
    const entries = describeExpansion(
      [
        { system: GENDER, code: 'male' },
        { system: GENDER, code: 'female' },
        { system: 'http://x', code: 'b' },
      ],
      own,
      officialConcepts,
    );
    expect(entries).toEqual([
      { system: GENDER, code: 'male', version: '4.0.1', display: 'Man', codeSystemDisplay: 'Male' },
      { system: GENDER, code: 'female', version: '4.0.1', display: 'Female' },
      { system: 'http://x', code: 'b', inactive: true },
    ]);
  });

  it('the text filter: every word starts a word of the display or the code, ignoring case', () => {
    const entry = (code: string, display?: string) => ({
      system: 'http://x',
      code,
      ...(display ? { display } : {}),
    });
    const match = expansionTextFilter('acut AST');
    expect(match(entry('195967001', 'Acute asthma'))).toBe(true);
    expect(match(entry('x', 'Chronic asthma'))).toBe(false);
    expect(expansionTextFilter('ale')(entry('female', 'Female'))).toBe(false);
    expect(expansionTextFilter('1002')(entry('1002-5'))).toBe(true);
    expect(expansionTextFilter('  ')(entry('anything'))).toBe(true);
  });
});
