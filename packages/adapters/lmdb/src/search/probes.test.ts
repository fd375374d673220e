import { compareKeys, type Key } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { HIGH } from './index-keys.js';
import { compareFlat } from './probes.js';

describe('compareFlat', () => {
  it('orders keys of strings and numbers exactly as lmdb compareKeys', () => {
    const elements: Key[] = ['', 'a', 'ab', 'b', 'Z', '\u00e9', HIGH, -1.5, 0, 3, 1e15, -8.64e15];
    let seed = 7;
    // mulberry32: a small seeded generator, so a failure replays.
    const rand = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const key = () => Array.from({ length: 1 + rand(5) }, () => elements[rand(elements.length)]!);
    let differing = 0;
    for (let i = 0; i < 5000; i++) {
      const a = key();
      const b = rand(4) === 0 ? [...a] : rand(2) === 0 ? [...a, elements[rand(elements.length)]!] : key();
      const expected = Math.sign(compareKeys(a, b));
      expect(Math.sign(compareFlat(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(expected);
      if (expected !== 0) differing++;
    }
    expect(differing).toBeGreaterThan(1000);
  });
  it('falls back to compareKeys for other elements', () => {
    expect(compareFlat([Uint8Array.of(1)], [Uint8Array.of(2)])).toBe(
      compareKeys([Uint8Array.of(1)], [Uint8Array.of(2)]),
    );
  });
});
