import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALL_GATES_OFF,
  anyGateOpen,
  applyFlagChange,
  evaluateFlag,
  inPercentage,
  isValidPercentage,
  percentageBucket,
} from '../../../shared/flags/domain.js';
import type { Flag, FlagGates } from '../../../shared/flags/domain.js';

/**
 * CRC-32/ISO-HDLC written out bit by bit from its definition (reflected polynomial 0xEDB88320,
 * initial value and final XOR 0xFFFFFFFF) — independent of zlib, to check Node's zlib.crc32 with.
 */
function referenceCrc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const gates = (over: Partial<FlagGates> = {}): FlagGates => ({ ...ALL_GATES_OFF, actors: [], ...over });
const FLAG = 'account_data_persistence';

describe('Function: crc32 (the hash of the percentage gate)', () => {
  it('gives the published CRC-32 check values', () => {
    // The catalogue's check value for "123456789", and the well-known pangram value.
    expect(crc32('123456789')).toBe(0xcbf43926);
    expect(referenceCrc32('123456789')).toBe(0xcbf43926);
    expect(crc32('The quick brown fox jumps over the lazy dog')).toBe(0x414fa339);
    expect(crc32('')).toBe(0);
  });

  it('agrees with the bitwise reference on any text, multi-byte characters included', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => crc32(text) === referenceCrc32(text)));
  });
});

describe('Function: percentageBucket', () => {
  // Values computed independently with Python's zlib.crc32(b"<flag><actor>") % 100000.
  it.each([
    ['account_data_persistence', 'cust-1', 4806],
    ['account_data_persistence', 'cust-2', 11132],
    ['account_data_persistence', 'cust-3', 56074],
    ['account_data_persistence', '42', 72423],
    ['search', 'User;1', 97600],
  ])('buckets %s + %s into %i', (flag, actor, bucket) => {
    expect(percentageBucket(flag, actor)).toBe(bucket);
  });

  it('hashes the flag name and the actor id together, as Flipper does', () => {
    expect(percentageBucket('account_data_', 'persistencecust-1')).toBe(percentageBucket('account_data_persistence', 'cust-1'));
    expect(percentageBucket(FLAG, 'cust-1')).toBe(crc32(`${FLAG}cust-1`) % 100_000);
  });
});

describe('Function: inPercentage', () => {
  it('lets an actor in exactly when its bucket is below percentage × 1000', () => {
    // cust-1 is in bucket 4806: 4.807 % covers buckets 0–4806, 4.806 % only 0–4805.
    expect(inPercentage(FLAG, 'cust-1', 4.807)).toBe(true);
    expect(inPercentage(FLAG, 'cust-1', 4.806)).toBe(false);
    // cust-2 is in bucket 11132.
    expect(inPercentage(FLAG, 'cust-2', 11.133)).toBe(true);
    expect(inPercentage(FLAG, 'cust-2', 11.132)).toBe(false);
  });

  it('is nobody at 0 % and everybody at 100 %', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (actor) => !inPercentage(FLAG, actor, 0) && inPercentage(FLAG, actor, 100)),
    );
  });

  it('keeps every enabled actor enabled as the percentage widens', () => {
    const percentage = fc.integer({ min: 0, max: 100_000 }).map((n) => n / 1000);
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 30 }), percentage, percentage, (actor, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        return !inPercentage(FLAG, actor, low) || inPercentage(FLAG, actor, high);
      }),
    );
  });

  it('enables about the stated share of actors, and a different cohort per flag', () => {
    const actors = Array.from({ length: 20_000 }, (_, i) => `cust-${i}`);
    const first = actors.filter((a) => inPercentage(FLAG, a, 10));
    const second = actors.filter((a) => inPercentage('another_flag', a, 10));
    for (const cohort of [first, second]) expect(Math.abs(cohort.length - 2_000)).toBeLessThan(200);
    const overlap = first.filter((a) => second.includes(a)).length;
    // Independent cohorts share about 10 % of each other.
    expect(overlap).toBeLessThan(400);
  });
});

describe('Function: evaluateFlag', () => {
  it('opens the boolean gate for everyone, with or without an actor', () => {
    expect(evaluateFlag(FLAG, gates({ enabled: true }), 'anyone')).toEqual({ enabled: true, gate: 'boolean' });
    expect(evaluateFlag(FLAG, gates({ enabled: true }))).toEqual({ enabled: true, gate: 'boolean' });
  });

  it('opens the actor gate for the listed actors only', () => {
    const flag = gates({ actors: ['cust-7', 'cust-9'] });
    expect(evaluateFlag(FLAG, flag, 'cust-9')).toEqual({ enabled: true, gate: 'actor' });
    expect(evaluateFlag(FLAG, flag, 'cust-8')).toEqual({ enabled: false, gate: null });
  });

  it('checks boolean, then actor, then percentage', () => {
    expect(evaluateFlag(FLAG, gates({ enabled: true, actors: ['cust-1'], percentageOfActors: 100 }), 'cust-1').gate).toBe('boolean');
    expect(evaluateFlag(FLAG, gates({ actors: ['cust-1'], percentageOfActors: 100 }), 'cust-1').gate).toBe('actor');
    expect(evaluateFlag(FLAG, gates({ percentageOfActors: 4.807 }), 'cust-1')).toEqual({ enabled: true, gate: 'percentageOfActors' });
    expect(evaluateFlag(FLAG, gates({ percentageOfActors: 4.806 }), 'cust-1')).toEqual({ enabled: false, gate: null });
  });

  it('opens no actor or percentage gate without an actor', () => {
    expect(evaluateFlag(FLAG, gates({ actors: [''], percentageOfActors: 100 }))).toEqual({ enabled: false, gate: null });
    expect(evaluateFlag(FLAG, gates({ actors: [''], percentageOfActors: 100 }), '')).toEqual({ enabled: false, gate: null });
  });

  it('tells a fully off flag from one with gates', () => {
    expect(anyGateOpen(ALL_GATES_OFF)).toBe(false);
    expect(anyGateOpen(gates({ percentageOfActors: 0.001 }))).toBe(true);
    expect(anyGateOpen(gates({ actors: ['a'] }))).toBe(true);
  });
});

describe('Function: isValidPercentage', () => {
  it.each([0, 0.001, 4.807, 12.345, 33.3, 99.999, 100])('accepts %s', (value) => expect(isValidPercentage(value)).toBe(true));
  it.each([-0.001, 100.001, 0.0001, 12.3456, Number.NaN, Number.POSITIVE_INFINITY])('refuses %s', (value) =>
    expect(isValidPercentage(value)).toBe(false),
  );

  it('accepts every three-decimal percentage from 0 to 100', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 100_000 }), (n) => isValidPercentage(Number((n / 1000).toFixed(3)))));
  });
});

describe('Function: applyFlagChange', () => {
  const now = '2026-05-01T10:00:00.000Z';
  const later = '2026-05-02T10:00:00.000Z';

  it('creates a missing flag with every gate off, then applies the change', () => {
    const result = applyFlagChange(null, FLAG, { actors: ['cust-1'] }, { operator: 'op-1', now });
    expect(result).toEqual({
      changed: true,
      created: true,
      flag: { name: FLAG, enabled: false, actors: ['cust-1'], percentageOfActors: 0, version: 1, createdAt: now, updatedAt: now, updatedBy: 'op-1' },
      history: { name: FLAG, version: 1, operator: 'op-1', before: null, after: { enabled: false, actors: ['cust-1'], percentageOfActors: 0 }, changedAt: now },
    });
  });

  it('creates a flag with an empty change: all gates off', () => {
    const result = applyFlagChange(null, FLAG, {}, { operator: 'op-1', now });
    expect(result.changed && result.flag).toMatchObject({ enabled: false, actors: [], percentageOfActors: 0, version: 1 });
  });

  it('replaces only the gates the change names, and records before and after', () => {
    const created = applyFlagChange(null, FLAG, { actors: ['cust-1'] }, { operator: 'op-1', now });
    const widened = applyFlagChange(created.flag, FLAG, { percentageOfActors: 25 }, { operator: 'op-2', now: later });
    expect(widened).toMatchObject({
      changed: true,
      created: false,
      flag: { actors: ['cust-1'], percentageOfActors: 25, enabled: false, version: 2, createdAt: now, updatedAt: later, updatedBy: 'op-2' },
      history: {
        version: 2,
        operator: 'op-2',
        before: { enabled: false, actors: ['cust-1'], percentageOfActors: 0 },
        after: { enabled: false, actors: ['cust-1'], percentageOfActors: 25 },
      },
    });
  });

  it('writes nothing new when the change alters nothing', () => {
    const flag: Flag = { name: FLAG, enabled: true, actors: ['a'], percentageOfActors: 5, version: 4, createdAt: now, updatedAt: now, updatedBy: 'op-1' };
    expect(applyFlagChange(flag, FLAG, { enabled: true, actors: ['a', 'a'] }, { operator: 'op-2', now: later })).toEqual({ changed: false, flag });
    expect(applyFlagChange(flag, FLAG, {}, { operator: 'op-2', now: later })).toEqual({ changed: false, flag });
  });

  it('keeps an actor listed twice once', () => {
    const result = applyFlagChange(null, FLAG, { actors: ['b', 'a', 'b'] }, { operator: 'op-1', now });
    expect(result.flag.actors).toEqual(['b', 'a']);
  });

  it('rolls back by turning the gates off, as a new version', () => {
    const on: Flag = { name: FLAG, enabled: true, actors: [], percentageOfActors: 100, version: 7, createdAt: now, updatedAt: now, updatedBy: 'op-1' };
    const off = applyFlagChange(on, FLAG, { enabled: false, percentageOfActors: 0 }, { operator: 'op-3', now: later });
    expect(off).toMatchObject({ changed: true, flag: { enabled: false, percentageOfActors: 0, version: 8 } });
    expect(evaluateFlag(FLAG, off.flag, 'cust-1').enabled).toBe(false);
  });
});
