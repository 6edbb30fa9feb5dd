import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchNamespaces, latencyOf } from '../../../bench/bus.js';

describe('Function: batchNamespaces', () => {
  it('takes the next batch of a sender\'s namespaces, in a cycle', () => {
    expect(batchNamespaces([1, 2, 3, 4, 5], 0, 3)).toEqual([1, 2, 3]);
    expect(batchNamespaces([1, 2, 3, 4, 5], 1, 3)).toEqual([4, 5, 1]);
  });

  it('throws when a batch would name a namespace twice', () => {
    expect(() => batchNamespaces([1, 2], 0, 3)).toThrow('a batch of 3 needs at least 3 namespaces per sender; it has 2');
  });

  it('never names a namespace twice in a batch, and names each equally often over whole cycles', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 1e6 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 10 }), (owned, size) => {
        fc.pre(size <= owned.length);
        const counts = new Map<number, number>();
        // owned.length batches of `size` take every namespace exactly `size` times
        for (let batch = 0; batch < owned.length; batch++) {
          const names = batchNamespaces(owned, batch, size);
          expect(new Set(names).size).toBe(size);
          for (const ns of names) counts.set(ns, (counts.get(ns) ?? 0) + 1);
        }
        expect([...counts.keys()].sort()).toEqual([...owned].sort());
        expect([...counts.values()].every((n) => n === size)).toBe(true);
      }),
    );
  });
});

describe('Function: latencyOf', () => {
  it('answers p50, p99 and max by nearest rank, zeros for none', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);

    expect(latencyOf(values)).toEqual({ p50: 50, p99: 99, max: 100 });
    expect(latencyOf([])).toEqual({ p50: 0, p99: 0, max: 0 });
  });
});
