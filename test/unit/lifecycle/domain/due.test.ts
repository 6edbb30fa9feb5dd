import { describe, expect, it } from 'vitest';
import { DUE, DUE_ATTRIBUTE_NAMES, DUE_KINDS, dueAttributes, stateChangedOn, stateIndexAttributes } from '../../../../shared/lifecycle/domain/due.js';
import { applyCommand, emptyState } from '../../../../shared/lifecycle/domain/rules.js';
import type { FoldState } from '../../../../shared/lifecycle/domain/types.js';

const ctx = { key: 'test' };
const appliedAt = '2026-06-01T10:00:00.000Z';

/** An active, auto-renewing paid term on namespace 42 ending 2026-12-01. */
const active = (over: Partial<FoldState> = {}): FoldState => ({
  ...emptyState(42),
  subscriptionId: 'S-1',
  planCode: 'premium',
  paidPlanCode: 'premium',
  seats: 10,
  seatsInUse: 8,
  maxSeatsUsed: 8,
  startDate: '2025-12-01',
  endDate: '2026-12-01',
  autoRenew: true,
  nextReconciliationDate: '2026-06-01',
  status: 'active',
  version: 3,
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

describe('Function: dueAttributes', () => {
  it('puts an active auto-renewing term in the renewal index under its end date, in its shard', () => {
    expect(dueAttributes(active())).toEqual({ dueShard: 42 % 4, renewalDue: '2026-12-01' });
  });

  it('puts a term that does not renew in the expiry index instead', () => {
    expect(dueAttributes(active({ autoRenew: false }))).toEqual({ dueShard: 2, expiryDue: '2026-12-01' });
  });

  it('adds the reconciliation date only while seats are owed', () => {
    expect(dueAttributes(active({ maxSeatsUsed: 14, seatsOwed: 4 }))).toEqual({ dueShard: 2, renewalDue: '2026-12-01', reconciliationDue: '2026-06-01' });
    expect(dueAttributes(active({ maxSeatsUsed: 14, seatsOwed: 4, nextReconciliationDate: null }))).toEqual({ dueShard: 2, renewalDue: '2026-12-01' });
  });

  it('puts a running trial in the trial-end index, on a free namespace too', () => {
    const trial: FoldState = { ...emptyState(7), trial: true, planCode: 'ultimate_trial', trialStartsOn: '2026-11-01', trialEndsOn: '2026-11-30' };
    expect(dueAttributes(trial)).toEqual({
      dueShard: 3,
      trialEndDue: '2026-11-30',
    });
  });

  it('leaves out a namespace with nothing pending: free, expired, or without a subscription', () => {
    expect(dueAttributes(emptyState(42))).toEqual({});
    expect(dueAttributes(active({ status: 'expired', planCode: 'free', paidPlanCode: null }))).toEqual({});
    expect(dueAttributes(active({ subscriptionId: null, status: 'none' }))).toEqual({});
  });

  it('moves an item to the new end date when renewed, and out of every index when expired', () => {
    const renewed = applyCommand(
      active(),
      { type: 'renewed', eventId: 'r-1', occurredAt: '2026-12-01T00:00:00Z', subscriptionId: 'S-1', startDate: '2026-12-01', endDate: '2027-12-01' },
      ctx,
    );
    expect(renewed.ok && dueAttributes(renewed.state)).toEqual({ dueShard: 2, renewalDue: '2027-12-01' });
    const expired = applyCommand(active({ autoRenew: false }), { type: 'expired', eventId: 'x-1', occurredAt: '2026-12-02T00:00:00Z', subscriptionId: 'S-1', expiredOn: '2026-12-01' }, ctx);
    expect(expired.ok && dueAttributes(expired.state)).toEqual({});
  });

  it('names only attributes the writers know to clear', () => {
    for (const kind of DUE_KINDS) expect(DUE_ATTRIBUTE_NAMES).toContain(DUE[kind].attribute);
    expect(DUE_ATTRIBUTE_NAMES).toContain('dueShard');
  });
});

describe('Function: stateChangedOn', () => {
  it('moves to the write date when the association changes, and keeps the previous date otherwise', () => {
    const before = active();
    expect(stateChangedOn(null, { subscriptionId: 'S-1', updatedAt: '2026-06-01T10:00:00Z' }, undefined)).toBe('2026-06-01');
    expect(stateChangedOn(before, { subscriptionId: 'S-2', updatedAt: '2026-06-01T10:00:00Z' }, '2026-01-01')).toBe('2026-06-01');
    expect(stateChangedOn(before, { subscriptionId: 'S-1', updatedAt: '2026-06-01T10:00:00Z' }, '2026-01-01')).toBe('2026-01-01');
    // Not known: counted as changed now (one more check, never one less).
    expect(stateChangedOn(before, { subscriptionId: 'S-1', updatedAt: '2026-06-01T10:00:00Z' }, undefined)).toBe('2026-06-01');
  });

  it('gives a state write its due attributes and changedOn together', () => {
    const result = applyCommand(active(), { type: 'seatUsageReported', eventId: 'u-1', occurredAt: appliedAt, namespaceId: 42, seatsInUse: 14, measuredAt: appliedAt }, ctx);
    expect(result.ok && stateIndexAttributes(active(), result.state, '2025-12-01')).toEqual({
      dueShard: 2,
      renewalDue: '2026-12-01',
      reconciliationDue: '2026-06-01',
      changedOn: '2025-12-01',
    });
  });
});
