import { describe, expect, it } from 'vitest';
import { cached } from '../../src/engine/bounded-cache.js';

describe('cached', () => {
  it('computes a value once per key and returns the kept one after', () => {
    const cache = new Map<string, { n: number }>();
    let calls = 0;
    const a = cached(cache, 'a', 10, () => ({ n: ++calls }));
    expect(cached(cache, 'a', 10, () => ({ n: ++calls }))).toBe(a);
    expect(cached(cache, 'b', 10, () => ({ n: ++calls }))).toEqual({ n: 2 });
    expect(calls).toBe(2);
  });

  it('keeps values that are falsy or NaN (only undefined is a miss)', () => {
    const cache = new Map<string, number>();
    let calls = 0;
    for (let i = 0; i < 3; i++) cached(cache, 'nan', 10, () => (calls++, Number.NaN));
    for (let i = 0; i < 3; i++) cached(cache, 'zero', 10, () => (calls++, 0));
    expect(calls).toBe(2);
  });

  it('holds at most max entries: a miss on a full cache empties it first', () => {
    const cache = new Map<number, number>();
    for (let i = 0; i < 3; i++) cached(cache, i, 3, () => i);
    expect(cache.size).toBe(3);
    cached(cache, 1, 3, () => -1); // a hit changes nothing
    expect(cache.size).toBe(3);
    expect(cached(cache, 3, 3, () => 3)).toBe(3);
    expect([...cache.keys()]).toEqual([3]);
  });
});
