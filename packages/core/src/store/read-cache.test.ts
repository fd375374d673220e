import { describe, expect, it } from 'vitest';
import { ReadCache } from './read-cache.js';
import type { StoredResource } from './types.js';

const stored = (id: string, versionId = '1') =>
  ({
    resourceType: 'Patient',
    id,
    versionId,
    lastUpdated: '2024-01-01T00:00:00Z',
  }) as unknown as StoredResource;

describe('ReadCache', () => {
  it('never holds more than its capacity, dropping the entries not read for longest', () => {
    const cache = new ReadCache(10);
    for (let i = 0; i < 100; i++) cache.set(`Patient/${i}`, stored(String(i)));
    expect(cache.size).toBeLessThanOrEqual(10);
    expect(cache.get('Patient/99')?.id).toBe('99');
    expect(cache.get('Patient/0')).toBeUndefined();
  });

  it('keeps an entry that is read again while newer ones push older ones out', () => {
    const cache = new ReadCache(10);
    cache.set('Patient/hot', stored('hot'));
    for (let i = 0; i < 50; i++) {
      cache.set(`Patient/${i}`, stored(String(i)));
      expect(cache.get('Patient/hot')?.id, `after ${i} other entries`).toBe('hot');
    }
    // Never read again: gone after two generations.
    expect(cache.get('Patient/0')).toBeUndefined();
  });

  it('forgets a deleted entry and replaces a value in either generation', () => {
    const cache = new ReadCache(4);
    cache.set('Patient/a', stored('a'));
    cache.set('Patient/b', stored('b'));
    cache.set('Patient/c', stored('c')); // a and b are now the old generation
    cache.set('Patient/a', stored('a', '2'));
    expect(cache.get('Patient/a')?.versionId).toBe('2');
    cache.delete('Patient/b');
    cache.delete('Patient/c');
    expect(cache.get('Patient/b')).toBeUndefined();
    expect(cache.get('Patient/c')).toBeUndefined();
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
