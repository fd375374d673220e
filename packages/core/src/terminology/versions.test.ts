import { describe, expect, it } from 'vitest';
import { compareVersions, pickVersion, type Versioned, versionOf } from './versions.js';

const at = (second: number) => ({ lastUpdated: new Date(Date.UTC(2024, 0, 1, 0, 0, second)).toISOString() });
const v = (id: string, version: string | undefined, second: number, status = 'active'): Versioned => ({
  id,
  url: 'http://x/vs',
  ...(version ? { version } : {}),
  status,
  meta: at(second),
});

describe('compareVersions', () => {
  it('orders dotted-numeric and semver versions numerically, pre-releases first', () => {
    expect(compareVersions('1.10', '1.9')).toBeGreaterThan(0);
    expect(compareVersions('2', '10')).toBeLessThan(0);
    expect(compareVersions('1.0', '1.0.0')).toBe(0);
    expect(compareVersions('2.0.0-beta.2', '2.0.0-beta.10')).toBeLessThan(0);
    expect(compareVersions('2.0.0-alpha', '2.0.0-1')).toBeGreaterThan(0);
    expect(compareVersions('2.0.0-rc.1', '2.0.0')).toBeLessThan(0);
    expect(compareVersions('1.0.0+build.9', '1.0.0')).toBe(0);
    expect(compareVersions('99999999999999999999.1', '99999999999999999999')).toBeGreaterThan(0);
  });

  it('is undefined for anything else', () => {
    for (const other of ['2018-08-12', '1.0-beta', 'v1', 'draft', '', '1..2', '1.x'])
      expect(compareVersions(other, '1.0')).toBeUndefined();
  });
});

describe('pickVersion', () => {
  it('a version names exactly that version; none matching is undefined', () => {
    const all = [v('a', '2.0', 0), v('b', '1.0', 1)];
    expect(pickVersion(all, '1.0')?.id).toBe('b');
    expect(pickVersion(all, '1')).toBeUndefined();
    expect(pickVersion([], undefined)).toBeUndefined();
  });

  it('without a version: the highest when all compare, whatever the order or update times', () => {
    const all = [v('a', '1.9', 5), v('b', '1.10', 0), v('c', '1.2', 9)];
    expect(pickVersion(all)?.id).toBe('b');
    expect(pickVersion([...all].reverse())?.id).toBe('b');
  });

  it('else the most recently updated, then the lowest id', () => {
    expect(pickVersion([v('a', '2.0', 0), v('b', '2018-08-12', 1)])?.id).toBe('b');
    expect(pickVersion([v('a', '2.0', 2), v('b', undefined, 1)])?.id).toBe('a');
    expect(pickVersion([v('b', '1.0', 3), v('a', '1.0.0', 3)])?.id).toBe('a');
    expect(pickVersion([v('a', '1.0.0', 3), v('b', '1.0', 4)])?.id).toBe('b');
  });

  it('retired ones only when nothing else matches', () => {
    const all = [v('a', '3.0', 0, 'retired'), v('b', '2.0', 0), v('c', '1.0', 0, 'draft')];
    expect(pickVersion(all)?.id).toBe('b');
    expect(pickVersion(all, '3.0')?.id).toBe('a');
    expect(pickVersion([all[0]!])?.id).toBe('a');
  });

  it('a version written in the url counts as the version', () => {
    expect(versionOf({ url: 'http://x/cs|2.1' })).toBe('2.1');
    expect(versionOf({ url: 'http://x/cs|2.1', version: '0006' })).toBe('0006');
    expect(
      pickVersion([
        { id: 'a', url: 'http://x/cs|2.1' },
        { id: 'b', url: 'http://x/cs|2.4' },
      ])?.id,
    ).toBe('b');
  });
});
