import { describe, expect, it } from 'vitest';
import { DUE, DUE_ATTRIBUTE_NAMES, DUE_KINDS, dueAttributes, pendingReconciliations, stateChangedOn, stateIndexAttributes } from '../../../../shared/lifecycle/domain/due.js';
import { applyCommand, emptyState } from '../../../../shared/lifecycle/domain/rules.js';
import type { FoldState, TermSummary } from '../../../../shared/lifecycle/domain/types.js';

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

/** The term before active()'s: 10 seats, peak 15, 5 owed, reconciled on 2026-01-15 at the latest. */
const previousTerm = (over: Partial<TermSummary> = {}): TermSummary => ({
  subscriptionId: 'S-1',
  planCode: 'premium',
  seats: 10,
  startDate: '2024-12-01',
  endDate: '2025-12-01',
  expiredOn: null,
  maxSeatsUsed: 15,
  maxSeatsUsedChangedAt: '2025-03-01T10:00:00Z',
  seatsBilled: 0,
  seatsOwed: 5,
  nextReconciliationDate: '2026-01-15',
  ...over,
});

describe('Function: dueAttributes, with the previous term', () => {
  it("puts an item whose previous term owes under that term's reconciliation date", () => {
    expect(dueAttributes(active({ previousTerm: previousTerm() }))).toEqual({ dueShard: 2, renewalDue: '2026-12-01', reconciliationDue: '2026-01-15' });
  });

  it('carries the earliest date when both terms owe, so the index finds the item when either is due', () => {
    const both = active({ maxSeatsUsed: 14, seatsOwed: 4, previousTerm: previousTerm() });
    expect(dueAttributes(both).reconciliationDue).toBe('2026-01-15');
    expect(dueAttributes({ ...both, previousTerm: previousTerm({ nextReconciliationDate: '2026-08-01' }) }).reconciliationDue).toBe('2026-06-01');
  });

  it('leaves out a previous term that owes nothing (billed, or within its seats) or has no date', () => {
    expect(dueAttributes(active({ previousTerm: previousTerm({ seatsBilled: 5, seatsOwed: 0 }) }))).toEqual({ dueShard: 2, renewalDue: '2026-12-01' });
    expect(dueAttributes(active({ previousTerm: previousTerm({ nextReconciliationDate: null }) }))).toEqual({ dueShard: 2, renewalDue: '2026-12-01' });
  });

  it('keeps a previous term that owes in the index while the current term expired or a trial runs', () => {
    const expired = active({ status: 'expired', planCode: 'free', expiredOn: '2026-03-01', nextReconciliationDate: null, previousTerm: previousTerm() });
    expect(dueAttributes(expired)).toEqual({ dueShard: 2, reconciliationDue: '2026-01-15' });
  });

  it('moves the item as reconciliations arrive: to the current term’s date, then out of the index', () => {
    const both = active({ maxSeatsUsed: 14, seatsOwed: 4, previousTerm: previousTerm() });
    const reconcile = (state: FoldState, termStartDate: string, seatsBilled: number) => {
      const result = applyCommand(state, { type: 'reconciliationCompleted', eventId: `rc-${termStartDate}`, occurredAt: appliedAt, subscriptionId: 'S-1', termStartDate, seatsBilled }, ctx);
      if (!result.ok) throw new Error(result.rejection.message);
      return result.state;
    };
    const previousBilled = reconcile(both, '2024-12-01', 5);
    expect(previousBilled.previousTerm).toMatchObject({ seatsBilled: 5, seatsOwed: 0 });
    expect(dueAttributes(previousBilled)).toEqual({ dueShard: 2, renewalDue: '2026-12-01', reconciliationDue: '2026-06-01' });
    const allBilled = reconcile(previousBilled, '2025-12-01', 4);
    expect(allBilled).toMatchObject({ seatsBilled: 4, seatsOwed: 0 });
    expect(dueAttributes(allBilled)).toEqual({ dueShard: 2, renewalDue: '2026-12-01' });
  });

  it('puts the term that ended at a renewal in the index when it owes', () => {
    const renewed = applyCommand(
      active({ maxSeatsUsed: 14, seatsOwed: 4 }),
      { type: 'renewed', eventId: 'r-2', occurredAt: '2026-12-01T00:00:00Z', subscriptionId: 'S-1', startDate: '2026-12-01', endDate: '2027-12-01', seats: 20, nextReconciliationDate: '2027-06-01' },
      ctx,
    );
    expect(renewed.ok && renewed.state.previousTerm).toMatchObject({ startDate: '2025-12-01', seatsOwed: 4, nextReconciliationDate: '2026-06-01' });
    expect(renewed.ok && dueAttributes(renewed.state)).toEqual({ dueShard: 2, renewalDue: '2027-12-01', reconciliationDue: '2026-06-01' });
  });
});

describe('Function: pendingReconciliations', () => {
  it('lists the terms that owe with a date, the previous one first, with what each owes after billing', () => {
    const both = active({ maxSeatsUsed: 14, seatsBilled: 1, seatsOwed: 3, previousTerm: previousTerm({ seatsBilled: 2, seatsOwed: 3 }) });
    expect(pendingReconciliations(both)).toEqual([
      { term: 'previous', subscriptionId: 'S-1', startDate: '2024-12-01', endDate: '2025-12-01', seats: 10, maxSeatsUsed: 15, seatsBilled: 2, seatsOwed: 3, dueOn: '2026-01-15' },
      { term: 'current', subscriptionId: 'S-1', startDate: '2025-12-01', endDate: '2026-12-01', seats: 10, maxSeatsUsed: 14, seatsBilled: 1, seatsOwed: 3, dueOn: '2026-06-01' },
    ]);
    expect(pendingReconciliations(active())).toEqual([]);
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
