import { describe, expect, it } from 'vitest';
import { CodeSystemTree } from './code-system-tree.js';
import { officialCodeSystem } from './official.js';

describe('CodeSystemTree', () => {
  it('official observation-status: amended subsumes corrected', () => {
    const tree = officialCodeSystem('http://hl7.org/fhir/observation-status')!;
    expect(tree.descendants('amended')).toEqual(['corrected']);
    expect(tree.ancestors('corrected')).toEqual(['amended']);
    expect(tree.descendants('final')).toEqual([]);
    expect(tree.has('nope')).toBe(false);
  });

  it('a deep hierarchy, breadth first, with several parents', () => {
    const tree = CodeSystemTree.fromConcepts('http://x', [
      {
        code: 'a',
        concept: [
          { code: 'b', concept: [{ code: 'd' }] },
          { code: 'c', concept: [{ code: 'd' }] },
        ],
      },
    ]);
    expect(tree.descendants('a')).toEqual(['b', 'c', 'd']);
    expect(tree.ancestors('d').sort()).toEqual(['a', 'b', 'c']);
    expect(tree.codes).toEqual(['a', 'b', 'd', 'c']);
    expect([tree.parents('d'), tree.children('a'), tree.parents('a'), tree.children('x')]).toEqual([
      ['b', 'c'],
      ['b', 'c'],
      [],
      [],
    ]);
  });

  it('the compiled form: unknown and incomplete code systems are absent', () => {
    expect(officialCodeSystem('http://snomed.info/sct')).toBeUndefined();
    expect(
      officialCodeSystem('http://terminology.hl7.org/CodeSystem/v3-ActCode')?.descendants(
        '_ActEncounterCode',
      ),
    ).toContain('AMB');
  });
});
