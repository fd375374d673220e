import type { Key } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { encodersAgree, lmdbKeyBytes as lmdbKey, readIdKey } from './id-keys.js';

describe('id keys', () => {
  it('reads the id, the last element, of an encoded index key', () => {
    const bytes = Buffer.from(lmdbKey(['r', 'Observation', 'subject', 'Patient', 'p-1', 'obs.7']));
    expect(readIdKey(bytes, 0, bytes.length)).toBe('obs.7');
    const terminated = Buffer.concat([bytes, Buffer.of(0)]);
    expect(readIdKey(terminated, 0, terminated.length)).toBe('obs.7');
    // A plain Uint8Array, read from an offset.
    const plain = Uint8Array.from([9, 9, ...bytes]);
    expect(readIdKey(plain, 2, plain.length)).toBe('obs.7');
  });

  it('checks that ordered-binary and lmdb encode keys alike, and notices when they do not', () => {
    expect(encodersAgree()).toBe(true);
    // An encoder that differs on numbers only (one sample key holds them).
    const skewed = (key: Key) => lmdbKey((key as Key[]).map((e) => (typeof e === 'number' ? e + 1 : e)));
    expect(encodersAgree(skewed)).toBe(false);
  });
});
