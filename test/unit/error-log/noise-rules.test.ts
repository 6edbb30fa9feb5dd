import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  defaultRuleId,
  defaultRules,
  effectiveRules,
  matches,
  sameSpec,
  silencingRule,
  specOf,
} from '../../../shared/error-log/domain/noise-rules.js';
import type { NoiseRule } from '../../../shared/error-log/domain/noise-rules.js';
import { noiseRuleBody } from '../../../shared/error-log/domain/noise-rule-schema.js';

const occurrence = { code: 'VALIDATION_ERROR', system: 'customers-portal', integration: 'zuora', flow: 'renewal' as const, message: 'Zuora sandbox: Account is INVALID' };
const rule = (id: string, match: NoiseRule['match'], expiresAt?: string): NoiseRule => ({ id, source: 'stored', version: 1, match, reason: 'r', ...(expiresAt ? { expiresAt } : {}) });
const NOW = '2026-03-01T00:00:00.000Z';

describe('Function: matches', () => {
  it('matches when every field the rule names matches', () => {
    expect(matches(rule('a', { code: 'VALIDATION_ERROR', integration: 'zuora', flow: 'renewal' }), occurrence)).toBe(true);
    expect(matches(rule('a', { system: 'customers-portal' }), occurrence)).toBe(true);
  });

  it('does not match when one named field differs', () => {
    expect(matches(rule('a', { code: 'VALIDATION_ERROR', integration: 'salesforce' }), occurrence)).toBe(false);
    expect(matches(rule('a', { flow: 'purchase' }), occurrence)).toBe(false);
    expect(matches(rule('a', { integration: 'zuora' }), { ...occurrence, integration: null })).toBe(false);
  });

  it('finds messageContains case-insensitively', () => {
    expect(matches(rule('a', { messageContains: 'ZUORA SANDBOX' }), occurrence)).toBe(true);
    expect(matches(rule('a', { messageContains: 'production' }), occurrence)).toBe(false);
  });

  it('never matches what a narrower rule would not (adding a field only narrows)', () => {
    const field = fc.constantFrom('code', 'system', 'integration', 'flow', 'messageContains');
    fc.assert(
      fc.property(fc.dictionary(field, fc.constantFrom('VALIDATION_ERROR', 'zuora', 'renewal', 'sandbox', 'x')), field, fc.constantFrom('zuora', 'x', 'renewal'), (m, extra, value) => {
        fc.pre(!(extra in m));
        const wide = rule('w', m as NoiseRule['match']);
        const narrow = rule('n', { ...(m as NoiseRule['match']), [extra]: value });
        return !matches(narrow, occurrence) || matches(wide, occurrence);
      }),
    );
  });
});

describe('Function: silencingRule', () => {
  it('ignores expired rules and names the first match by id, whatever the order', () => {
    const rules = [rule('zeta', { code: 'VALIDATION_ERROR' }), rule('alpha', { integration: 'zuora' }), rule('aaa', { code: 'VALIDATION_ERROR' }, '2026-02-01T00:00:00.000Z')];
    expect(silencingRule(rules, occurrence, NOW)?.id).toBe('alpha');
    expect(silencingRule([...rules].reverse(), occurrence, NOW)?.id).toBe('alpha');
    expect(silencingRule([rules[2]!], occurrence, NOW)).toBeUndefined();
    expect(silencingRule([rules[2]!], occurrence, '2026-01-01T00:00:00.000Z')?.id).toBe('aaa');
  });
});

describe('Schema: noiseRuleBody', () => {
  it('accepts a rule with one match field and a reason', () => {
    expect(noiseRuleBody.safeParse({ match: { code: 'VALIDATION_ERROR' }, reason: 'known' }).success).toBe(true);
  });

  it.each([
    [{ match: {}, reason: 'r' }, /at least one/],
    [{ match: { code: 'x' } }, /reason/],
    [{ match: { flow: 'nowhere' }, reason: 'r' }, /flow/],
    [{ match: { code: 'x' }, reason: 'r', expiresAt: 'tomorrow' }, /expiresAt/],
    [{ match: { code: 'x', other: 1 }, reason: 'r' }, /other/],
    [{ match: { messageContains: 'ab' }, reason: 'r' }, /3 characters/],
  ])('refuses %j', (body, message) => {
    const parsed = noiseRuleBody.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(message);
  });

  it('normalises a body so the same rule sent again compares equal', () => {
    const a = specOf({ match: { code: 'x', system: undefined }, reason: 'r', expiresAt: '2026-03-01T01:00:00+01:00' });
    const b = specOf({ match: { code: 'x' }, reason: 'r', expiresAt: '2026-03-01T00:00:00Z' });
    expect(sameSpec(a, b)).toBe(true);
    expect(sameSpec(a, { ...b, reason: 'other' })).toBe(false);
    expect(sameSpec(null, null)).toBe(true);
    expect(sameSpec(a, null)).toBe(false);
  });
});

describe('Built-in rules (ERROR_LOG_NOISE_CODES)', () => {
  it('makes one rule per configured code; unset means the service defaults, empty none', () => {
    expect(defaultRules(undefined).map((r) => r.id)).toEqual(['default-stale-event', 'default-idempotency-conflict']);
    expect(defaultRules('')).toEqual([]);
    expect(defaultRules(' a_b , a_b,C ').map((r) => [r.id, r.match.code])).toEqual([
      ['default-a-b', 'a_b'],
      ['default-c', 'C'],
    ]);
    expect(defaultRuleId('Weird!!code__')).toBe('default-weird-code');
  });

  it('lets a saved rule override a built-in one and a tombstone remove it for good', () => {
    const defaults = defaultRules(undefined);
    const overridden = effectiveRules([{ id: 'default-stale-event', version: 2, spec: { match: { code: 'stale_event', system: 'x' }, reason: 'only x' } }], defaults);
    expect(overridden.find((r) => r.id === 'default-stale-event')).toMatchObject({ source: 'stored', version: 2, match: { system: 'x' } });
    const deleted = effectiveRules([{ id: 'default-stale-event', version: 3, spec: null }], defaults);
    expect(deleted.map((r) => r.id)).toEqual(['default-idempotency-conflict']);
  });

  it('never shows a deleted rule, always shows a saved one, and a built-in one only while no operator touched its id (any states, any order)', () => {
    const id = fc.constantFrom('default-a', 'default-b', 'x', 'y', 'z');
    const state = fc.record({ id, version: fc.integer({ min: 1, max: 9 }), spec: fc.option(fc.constant({ match: { code: 'c' }, reason: 'r' }), { nil: null }) });
    fc.assert(
      fc.property(fc.uniqueArray(state, { selector: (s) => s.id }), fc.subarray(['a', 'b']), (stored, codes) => {
        const defaults = defaultRules(codes.join(','));
        const rules = effectiveRules(stored, defaults);
        const ids = rules.map((r) => r.id);
        const shuffled = effectiveRules([...stored].reverse(), [...defaults].reverse()).map((r) => r.id);
        expect(shuffled).toEqual(ids);
        expect(new Set(ids).size).toBe(ids.length);
        for (const s of stored) expect(ids.includes(s.id)).toBe(s.spec !== null);
        for (const d of defaults) expect(rules.some((r) => r.id === d.id && r.source === 'default')).toBe(!stored.some((s) => s.id === d.id));
      }),
    );
  });
});
