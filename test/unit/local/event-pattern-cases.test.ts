import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { matchesPattern, validatePattern } from '../../../local/event-pattern.js';

type Obj = Record<string, unknown>;

interface Case {
  name: string;
  source: string;
  pattern: Obj;
  event: Obj;
  matches: boolean;
}

interface InvalidPattern {
  source: string;
  pattern: Obj;
  problem: string;
}

// Cases written in aws/event-ruler's tests and README or in the EventBridge user guide, and cases
// derived from event-ruler's source; each names where it comes from.
const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/event-patterns/cases.json', import.meta.url), 'utf8'),
) as { cases: Case[]; invalidPatterns: InvalidPattern[] };

describe('EventBridge cases with their sources (test/fixtures/event-patterns/cases.json)', () => {
  it('holds enough cases of both families, each with a source', () => {
    const { cases } = fixture;
    const text = (c: Case) => JSON.stringify(c.pattern);
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(cases.filter((c) => /"[^"]*\.[^"]*":/.test(text(c)) || /"[^"]*\.[^"]*":/.test(JSON.stringify(c.event))).length).toBeGreaterThan(10);
    expect(cases.filter((c) => text(c).includes('"cidr"')).length).toBeGreaterThan(10);
    for (const c of cases) expect(c.source, c.name).toMatch(/^(https:\/\/|derived: )/);
  });

  it.each(fixture.cases)('$name → $matches', ({ pattern, event, matches }) => {
    expect(validatePattern(pattern)).toEqual([]);
    expect(matchesPattern(pattern, event)).toBe(matches);
  });

  it.each(fixture.invalidPatterns.map((c) => [JSON.stringify(c.pattern), c.problem, c.pattern] as const))(
    'rejects %s: %s',
    (_text, problem, pattern) => {
      expect(validatePattern(pattern).join('\n')).toContain(problem);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Property: a nested object path and its dotted spelling are one field, in pattern and event alike.

const isPlainObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Spot {
  holder: Obj;
  key: string;
  child: string;
}

/** Every place where `holder[key][child]` could be written `holder["key.child"]` instead. */
function spots(value: unknown, out: Spot[] = []): Spot[] {
  if (Array.isArray(value)) {
    value.forEach((v) => spots(v, out));
  } else if (isPlainObject(value)) {
    for (const [key, sub] of Object.entries(value)) {
      if (isPlainObject(sub)) {
        for (const child of Object.keys(sub)) {
          // `$or` is not a field name; an existing "key.child" must not be overwritten.
          if (child !== '$or' && !Object.hasOwn(value, `${key}.${child}`)) out.push({ holder: value, key, child });
        }
      }
      spots(sub, out);
    }
  }
  return out;
}

/** Re-spells one nested step as a dotted key per pick (an emptied parent object is dropped). */
function respell<T>(value: T, picks: readonly number[]): T {
  const copy = structuredClone(value);
  for (const pick of picks) {
    const all = spots(copy);
    const spot = all[pick % Math.max(all.length, 1)];
    if (!spot) break;
    const inner = spot.holder[spot.key] as Obj;
    spot.holder[`${spot.key}.${spot.child}`] = inner[spot.child];
    delete inner[spot.child];
    if (Object.keys(inner).length === 0) delete spot.holder[spot.key];
  }
  return copy;
}

// Small pools so that patterns and events meet often.
const KEYS = ['a', 'b', 'c'];
const leafArb = fc.constantFrom<unknown>(1, 2, 'x', 'xy', null, true, '10.0.0.1', '2001:db8::1');

const { event: eventArb } = fc.letrec((tie) => ({
  event: fc.dictionary(fc.constantFrom(...KEYS, 'p'), tie('value'), { minKeys: 1, maxKeys: 3 }),
  value: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'event' },
    leafArb,
    tie('event'),
    fc.array(fc.oneof(leafArb, tie('event')), { maxLength: 3 }),
  ),
}));

const matcherArb = fc.oneof(
  leafArb,
  fc.constantFrom<unknown>(
    { exists: true },
    { exists: false },
    { 'anything-but': 'x' },
    { 'anything-but': [1, 2] },
    { prefix: 'x' },
    { numeric: ['>', 1] },
    { cidr: '10.0.0.0/24' },
    { cidr: '2001:db8::/32' },
  ),
);

const { object: patternObjectArb } = fc.letrec((tie) => ({
  object: fc.dictionary(fc.constantFrom(...KEYS), tie('field'), { minKeys: 1, maxKeys: 3 }),
  field: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'pattern' },
    fc.array(matcherArb, { minLength: 1, maxLength: 3 }),
    tie('object'),
  ),
}));

/** Every leaf of an event with its path of keys (array elements are crossed). */
function leafPaths(value: unknown, path: string[] = [], out: Array<{ path: string[]; leaf: unknown }> = []) {
  if (Array.isArray(value)) value.forEach((v) => leafPaths(v, path, out));
  else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) leafPaths(v, [...path, k], out);
  else if (path.length > 0) out.push({ path, leaf: value });
  return out;
}

/** Sets `matchers` at `path` in a nested pattern object; false when the path is taken by another shape. */
function setPath(target: Obj, path: readonly string[], matchers: unknown[]): boolean {
  let at = target;
  for (const key of path.slice(0, -1)) {
    const next = at[key] ?? {};
    if (!isPlainObject(next)) return false;
    at[key] = next;
    at = next;
  }
  const last = path[path.length - 1] as string;
  if (Object.hasOwn(at, last)) return false;
  at[last] = matchers;
  return true;
}

/**
 * Mostly patterns built from the event's own leaves (so that many match and array consistency is
 * at stake), sometimes with an `$or` of two groups; otherwise a random pattern. No rule names one
 * path twice (the clause order of a path named twice would be its spellings' order).
 */
const caseArb = eventArb.chain((event) => {
  const seen = new Set<string>();
  const leaves = leafPaths(event).filter(({ path }) => !seen.has(path.join('\u0000')) && !!seen.add(path.join('\u0000')));
  if (leaves.length === 0) return fc.tuple(patternObjectArb, fc.constant(event));
  const matchersFor = (leaf: unknown) =>
    fc.oneof(fc.constant<unknown[]>([leaf]), fc.array(matcherArb, { minLength: 1, maxLength: 2 }), fc.constant<unknown[]>([leaf, { exists: false }]));
  const picked = fc.subarray(leaves, { minLength: 1, maxLength: Math.min(4, leaves.length) }).chain((chosen) =>
    fc.tuple(...chosen.map((l) => fc.tuple(fc.constant(l.path), matchersFor(l.leaf), fc.constantFrom(0, 0, 1, 2)))),
  );
  const built = picked.map((fields) => {
    const groups: Obj[] = [{}, {}, {}];
    for (const [path, matchers, group] of fields) setPath(groups[group] as Obj, path, matchers);
    const [plain, or1, or2] = groups as [Obj, Obj, Obj];
    const hasOr = Object.keys(or1).length > 0 && Object.keys(or2).length > 0;
    const pattern: Obj = hasOr ? { ...plain, $or: [or1, or2] } : { ...plain, ...or1, ...or2 };
    return Object.keys(pattern).length > 0 ? pattern : { a: [1] };
  });
  return fc.tuple(fc.oneof({ weight: 4, arbitrary: built }, { weight: 1, arbitrary: patternObjectArb }), fc.constant(event));
});

const picksArb = fc.array(fc.nat(), { minLength: 1, maxLength: 3 });

describe('matchesPattern: dotted keys', () => {
  it('re-spelling nested object paths as dotted keys, in the pattern or in the event, keeps the result', () => {
    let matched = 0;
    let respelled = 0;
    fc.assert(
      fc.property(caseArb, picksArb, picksArb, ([pattern, event], patternPicks, eventPicks) => {
        const expected = matchesPattern(pattern, event);
        const dottedPattern = respell(pattern, patternPicks);
        const dottedEvent = respell(event, eventPicks);
        if (expected) matched++;
        if (JSON.stringify(dottedPattern) !== JSON.stringify(pattern)) respelled++;
        expect(matchesPattern(dottedPattern, event)).toBe(expected);
        expect(matchesPattern(pattern, dottedEvent)).toBe(expected);
        expect(matchesPattern(dottedPattern, dottedEvent)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
    // The property says something only if matches happen and paths really were re-spelled.
    expect(matched).toBeGreaterThan(100);
    expect(respelled).toBeGreaterThan(200);
  });

  it('the re-spelling helper does re-spell', () => {
    expect(respell({ a: { b: { c: [1] }, d: [2] } }, [0])).toEqual({ 'a.b': { c: [1] }, a: { d: [2] } });
    expect(respell({ a: [{ b: { c: 1 } }] }, [0])).toEqual({ a: [{ 'b.c': 1 }] });
  });
});
