/**
 * The audit-cost bench (bench/audit-cost.ts) at a tiny scale: seeding 50 and 200 subscriptions
 * with the same 10 due, one audit each costs about the same read capacity.
 */
import { describe, expect, inject, it } from 'vitest';
import { measureAuditCost, seedItems } from '../../bench/audit-cost.js';
import { dueFindings } from '../../shared/audit/domain.js';
import { toState } from '../../shared/lifecycle/store.js';

describe('Bench: measureAuditCost', () => {
  it('seeds exactly the due items it says, as the store writes them', () => {
    const today = '2026-12-01';
    const items = seedItems(200, 10, today);
    const states = items.filter((i) => i.sk === 'STATE');
    expect(states).toHaveLength(200);
    expect(states.filter((s) => dueFindings(toState(s), today).length > 0)).toHaveLength(10);
    expect(states.filter((s) => s.changedOn === today)).toHaveLength(20);
    expect(items.find((i) => i.sk === 'LATEST')).toMatchObject({ watermark: '2026-11-30' });
  });

  it('measures read units that stay flat as subscriptions grow with the same number due', async () => {
    const figures = await measureAuditCost({ dynamoEndpoint: inject('dynamoEndpoint'), subscriptions: [50, 200], due: 10 });
    expect(figures.subscriptions).toEqual([50, 200]);
    expect(figures.due).toBe(10);
    expect(figures.readUnits).toHaveLength(2);
    // At least one consistent read per due item, and per changed item.
    for (const units of figures.readUnits) expect(units).toBeGreaterThanOrEqual(10);
    expect(figures.ratio).toBeGreaterThan(0.9);
    expect(figures.ratio).toBeLessThan(1.1);
  });
});
