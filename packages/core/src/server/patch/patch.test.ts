import type { Patient } from 'fhir/r4';
import { describe, expect, it } from 'vitest';
import { applyFhirPathPatch } from './fhirpath-patch.js';
import { applyJsonPatch } from './json-patch.js';

const patient: Patient = {
  resourceType: 'Patient',
  id: 'p',
  active: true,
  name: [{ family: 'Doe', given: ['Jane', 'Q'] }],
  identifier: [
    { system: 'a', value: '1' },
    { system: 'b', value: '2' },
  ],
};

const op = (parts: Record<string, unknown>) => ({
  name: 'operation',
  part: Object.entries(parts).map(([name, v]) => {
    if (name === 'type') return { name, valueCode: v };
    if (name === 'path' || name === 'name') return { name, valueString: v };
    if (name === 'index' || name === 'source' || name === 'destination') return { name, valueInteger: v };
    return { name: 'value', ...(v as object) };
  }),
});
const fp = (...ops: ReturnType<typeof op>[]) => ({ resourceType: 'Parameters', parameter: ops });

describe('JSON Patch', () => {
  it('applies to a copy and leaves the input alone', () => {
    const out = applyJsonPatch(patient, [{ op: 'replace', path: '/active', value: false }]) as Patient;
    expect(out.active).toBe(false);
    expect(patient.active).toBe(true);
  });
  it('answers unprocessable for a failing test op and invalid for a malformed patch', () => {
    expect(() => applyJsonPatch(patient, [{ op: 'test', path: '/active', value: false }])).toThrow(
      expect.objectContaining({ code: 'unprocessable' }),
    );
    expect(() => applyJsonPatch(patient, [{ op: 'jump', path: '/active' }])).toThrow(
      expect.objectContaining({ code: 'invalid' }),
    );
    expect(() => applyJsonPatch(patient, { op: 'add' })).toThrow(
      expect.objectContaining({ code: 'invalid' }),
    );
  });
});

describe('FHIRPath Patch', () => {
  it('replaces, adds (as a list when the element repeats), inserts, moves and deletes', () => {
    const out = applyFhirPathPatch(
      patient,
      fp(
        op({ type: 'replace', path: 'Patient.active', value: { valueBoolean: false } }),
        op({ type: 'add', path: 'Patient', name: 'birthDate', value: { valueDate: '1990-02-03' } }),
        op({
          type: 'add',
          path: 'Patient',
          name: 'telecom',
          value: { valueContactPoint: { system: 'phone', value: '1' } },
        }),
        op({ type: 'insert', path: 'Patient.name[0].given', index: 0, value: { valueString: 'Ann' } }),
        op({ type: 'move', path: 'Patient.identifier', source: 1, destination: 0 }),
        op({ type: 'delete', path: "Patient.identifier.where(system='a')" }),
        op({ type: 'delete', path: "Patient.identifier.where(system='zzz')" }),
      ),
    ) as Patient;
    expect(out.active).toBe(false);
    expect(out.birthDate).toBe('1990-02-03');
    expect(out.telecom).toEqual([{ system: 'phone', value: '1' }]);
    expect(out.name![0]!.given).toEqual(['Ann', 'Jane', 'Q']);
    expect(out.identifier).toEqual([{ system: 'b', value: '2' }]);
    expect(patient.identifier).toHaveLength(2);
  });
  it('builds complex values from parts', () => {
    const out = applyFhirPathPatch(
      patient,
      fp({
        name: 'operation',
        part: [
          { name: 'type', valueCode: 'add' },
          { name: 'path', valueString: 'Patient' },
          { name: 'name', valueString: 'contact' },
          { name: 'value', part: [{ name: 'gender', valueCode: 'male' }] },
        ],
      } as never),
    ) as Patient;
    expect(out.contact).toEqual([{ gender: 'male' }]);
  });
  it('rejects replace with no single match (422) and malformed operations (400)', () => {
    expect(() =>
      applyFhirPathPatch(
        patient,
        fp(op({ type: 'replace', path: 'Patient.identifier', value: { valueString: 'x' } })),
      ),
    ).toThrow(expect.objectContaining({ code: 'unprocessable' }));
    expect(() => applyFhirPathPatch(patient, fp(op({ type: 'explode', path: 'Patient' })))).toThrow(
      expect.objectContaining({ code: 'invalid' }),
    );
    expect(() => applyFhirPathPatch(patient, { resourceType: 'Patient' })).toThrow(
      expect.objectContaining({ code: 'invalid' }),
    );
  });
});
