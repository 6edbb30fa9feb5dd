/** The plan catalog: which codes exist, which are billed, and a deployment's own catalog. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PLAN_CATALOG, parsePlanCatalog, planKind } from '../../../../shared/lifecycle/domain/plans.js';

describe('Function: planKind', () => {
  it.each([
    ['free', 'free'],
    ['default', 'free'],
    ['premium_trial', 'trial'],
    ['ultimate_trial_paid_customer', 'trial'],
    ['bronze', 'paid'],
    ['opensource', 'paid'],
    ['platinum', null],
  ] as const)('%s is %s', (code, kind) => {
    expect(planKind(DEFAULT_PLAN_CATALOG, code)).toBe(kind);
  });
});

describe('Function: parsePlanCatalog', () => {
  it('reads a deployment’s catalog', () => {
    const catalog = parsePlanCatalog('{"free":["free"],"trial":["gold_trial"],"paid":["gold","enterprise"]}');
    expect(planKind(catalog, 'enterprise')).toBe('paid');
    expect(planKind(catalog, 'premium')).toBeNull();
  });

  it.each([
    ['not JSON', 'paid: gold', /not JSON/],
    ['a missing kind', '{"free":["free"],"paid":["gold"]}', /PLAN_CATALOG.trial/],
    ['a code that is no plan code', '{"free":["free"],"trial":[],"paid":["Gold!"]}', /PLAN_CATALOG.paid/],
    ['a code in two kinds', '{"free":["free"],"trial":["gold"],"paid":["gold"]}', /gold in more than one kind/],
    ['no paid plan', '{"free":["free"],"trial":[],"paid":[]}', /at least one paid/],
  ])('refuses %s, saying what is wrong', (_case, json, message) => {
    expect(() => parsePlanCatalog(json)).toThrow(message);
  });
});
