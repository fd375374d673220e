import { describe, expect, it } from 'vitest';
import { engineGuardKeys } from './engine-guard.js';

describe('engineGuardKeys', () => {
  it('guards an expression that starts with a call on a resource element', () => {
    expect(engineGuardKeys('Observation', "Observation.extension('http://example.org/x')")).toEqual([
      'extension',
      '_extension',
    ]);
  });

  it('guards paths through empty-preserving functions, over every part of a union', () => {
    expect(
      engineGuardKeys(
        'Patient',
        "Patient.extension('http://a').value | Patient.link.where(type='seealso').other",
      ),
    ).toEqual(['extension', '_extension', 'link', '_link']);
  });

  it('cannot guard an expression whose functions turn nothing into something', () => {
    expect(
      engineGuardKeys('Patient', 'Patient.deceased.exists() and Patient.deceased != false'),
    ).toBeUndefined();
  });
});
