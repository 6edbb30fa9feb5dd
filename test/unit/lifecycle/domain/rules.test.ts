/**
 * The rules of the lifecycle commands, one by one, for commands in business order (the log puts
 * late commands in their place: test/unit/lifecycle/domain/log.test.ts and the order property).
 */
import { describe, expect, it } from 'vitest';
import { logKey } from '../../../../shared/lifecycle/domain/log.js';
import {
  applyCommand,
  countsTowardPeak,
  emptyState,
  isBillablePlan,
  seatsOwed,
  summarizeTerm,
  termSeatsOwed,
} from '../../../../shared/lifecycle/domain/rules.js';
import type {
  ApplyResult,
  FoldState,
  LifecycleCommand,
  RejectionCode,
  SeatUsageReported,
  SubscriptionCreated,
  SubscriptionRenewed,
} from '../../../../shared/lifecycle/domain/types.js';

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const NS = 42;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

const apply = (state: FoldState, command: LifecycleCommand): ApplyResult => applyCommand(deepFreeze(state), command, { key: logKey(command) });

function accepted(result: ApplyResult): FoldState {
  if (!result.ok) throw new Error(`expected the command to apply, got ${JSON.stringify(result.rejection)}`);
  return result.state;
}

function expectRejected(result: ApplyResult, code: RejectionCode): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.rejection.code).toBe(code);
  expect(result.rejection.message.length).toBeGreaterThan(20);
}

/** Folds commands in the order given (the tests give them in business order). */
const fold = (...commands: LifecycleCommand[]): FoldState => commands.reduce((s, c) => accepted(apply(s, c)), emptyState(NS));

let n = 0;
const base = () => ({ eventId: `evt-${++n}`, occurredAt: '2026-06-01T10:00:00Z' });

const created = (o: Partial<SubscriptionCreated> = {}): SubscriptionCreated => ({
  ...base(),
  type: 'created',
  subscriptionId: 'sub-1',
  namespaceId: NS,
  planCode: 'premium',
  seats: 10,
  startDate: '2025-06-01',
  endDate: '2026-06-01',
  ...o,
});
const renewed = (o: Partial<SubscriptionRenewed> = {}): SubscriptionRenewed => ({
  ...base(),
  type: 'renewed',
  subscriptionId: 'sub-1',
  startDate: '2026-06-01',
  endDate: '2027-06-01',
  ...o,
});
const usage = (seatsInUse: number, measuredAt: string): SeatUsageReported => ({ ...base(), type: 'seatUsageReported', namespaceId: NS, seatsInUse, measuredAt });
const entitlements = (o: Record<string, unknown> = {}): LifecycleCommand => ({ ...base(), type: 'entitlementsUpdated', subscriptionId: 'sub-1', ...o }) as LifecycleCommand;
const expired = (expiredOn: string, subscriptionId = 'sub-1'): LifecycleCommand => ({ ...base(), type: 'expired', subscriptionId, expiredOn });
const trialStarted = (trialStartsOn: string, trialEndsOn: string, planCode = 'ultimate_trial'): LifecycleCommand => ({
  ...base(),
  type: 'trialStarted',
  namespaceId: NS,
  planCode,
  trialStartsOn,
  trialEndsOn,
});
const trialEnded = (endedOn: string): LifecycleCommand => ({ ...base(), type: 'trialEnded', namespaceId: NS, endedOn });

/** sub-1 on premium, 10 seats, in its 2025-06-01 → 2026-06-01 term, 8 seats in use since July. */
const paid = () => fold(created(), usage(8, '2025-07-01T00:00:00Z'));

// ---------------------------------------------------------------------------------------------

describe('Function: emptyState', () => {
  it('describes a never-seen namespace: no subscription, free, no statistics, never stored', () => {
    expect(emptyState(NS)).toMatchObject({
      namespaceId: NS,
      subscriptionId: null,
      planCode: 'free',
      paidPlanCode: null,
      seats: 0,
      seatsInUse: 0,
      maxSeatsUsed: 0,
      seatsOwed: 0,
      trial: false,
      status: 'none',
      expiredOn: null,
      previousTerm: null,
      version: 0,
      fold: { peakMeasured: false, termKey: null, previousTermKey: null },
    });
  });

  it('returns a fresh object on every call', () => {
    const a = emptyState(NS);
    expect(emptyState(NS)).not.toBe(a);
    expect(emptyState(NS)).toEqual(a);
  });
});

describe('Function: seatsOwed and termSeatsOwed', () => {
  it.each([
    { case: 'a paid term over its licence', state: { status: 'active', trial: false, paidPlanCode: 'premium', seats: 10, maxSeatsUsed: 14 }, owed: 4 },
    { case: 'a term within its licence', state: { status: 'active', trial: false, paidPlanCode: 'premium', seats: 10, maxSeatsUsed: 9 }, owed: 0 },
    { case: 'a trial running', state: { status: 'active', trial: true, paidPlanCode: 'premium', seats: 10, maxSeatsUsed: 14 }, owed: 0 },
    { case: 'an expired term', state: { status: 'expired', trial: false, paidPlanCode: 'premium', seats: 10, maxSeatsUsed: 14 }, owed: 0 },
    { case: 'a term with 0 seats', state: { status: 'active', trial: false, paidPlanCode: 'premium', seats: 0, maxSeatsUsed: 14 }, owed: 0 },
    { case: 'a free plan', state: { status: 'active', trial: false, paidPlanCode: 'free', seats: 10, maxSeatsUsed: 14 }, owed: 0 },
    { case: 'a trial plan', state: { status: 'active', trial: false, paidPlanCode: 'ultimate_trial_paid_customer', seats: 10, maxSeatsUsed: 14 }, owed: 0 },
  ] as const)('owes $owed for $case', ({ state, owed }) => {
    expect(seatsOwed(state)).toBe(owed);
  });

  it('counts a term’s overage whatever its status, for the previous term kept for reconciliation', () => {
    expect(termSeatsOwed({ paidPlanCode: 'premium', seats: 10, maxSeatsUsed: 14 })).toBe(4);
    expect(isBillablePlan('ultimate')).toBe(true);
    expect(isBillablePlan('default')).toBe(false);
    expect(isBillablePlan(null)).toBe(false);
  });
});

describe('Rule: created', () => {
  it('starts a paid term: the seats in use when it starts are its peak until it has a measurement of its own', () => {
    const before = fold(usage(6, '2025-05-20T00:00:00Z'));

    const after = accepted(apply(before, created({ autoRenew: true, nextReconciliationDate: '2025-12-01' })));

    expect(after).toMatchObject({
      subscriptionId: 'sub-1',
      status: 'active',
      planCode: 'premium',
      paidPlanCode: 'premium',
      seats: 10,
      startDate: '2025-06-01',
      endDate: '2026-06-01',
      autoRenew: true,
      nextReconciliationDate: '2025-12-01',
      seatsInUse: 6,
      maxSeatsUsed: 6,
      maxSeatsUsedChangedAt: '2025-06-01T00:00:00Z',
      seatsOwed: 0,
      previousTerm: null,
    });
    expect(after.fold).toMatchObject({ peakMeasured: false, previousTermKey: null });
    expect(after.fold.termKey).toMatch(/^2025-06-01T00:00:00.000Z#0#/);
  });

  it('converts a running trial: the trial ends the day before the term, its dates kept', () => {
    const before = fold(trialStarted('2025-05-01', '2025-06-30'), usage(9, '2025-05-10T00:00:00Z'));

    const after = accepted(apply(before, created()));

    expect(after).toMatchObject({ trial: false, trialStartsOn: '2025-05-01', trialEndsOn: '2025-05-31', planCode: 'premium', maxSeatsUsed: 9 });
  });

  it('refuses a second created of an active subscription, and one while another subscription is active', () => {
    expectRejected(apply(paid(), created({ startDate: '2025-09-01' })), 'subscription_exists');
    expectRejected(apply(paid(), created({ subscriptionId: 'sub-2', startDate: '2025-09-01' })), 'namespace_has_subscription');
  });

  it('takes a namespace whose subscription expired, the expired term becoming the previous one', () => {
    const before = fold(created(), usage(14, '2025-07-01T00:00:00Z'), expired('2026-01-01'));

    const after = accepted(apply(before, created({ subscriptionId: 'sub-2', startDate: '2026-03-01', endDate: '2027-03-01' })));

    expect(after).toMatchObject({ subscriptionId: 'sub-2', status: 'active', expiredOn: null, maxSeatsUsed: 14 });
    expect(after.previousTerm).toMatchObject({ subscriptionId: 'sub-1', expiredOn: '2026-01-01', maxSeatsUsed: 14, seatsOwed: 4 });
  });
});

describe('Rule: renewed', () => {
  it('starts a new term: what it omits carries over, the peak starts again, the old term is kept with its owed seats', () => {
    const before = fold(created({ autoRenew: true, nextReconciliationDate: '2025-12-01' }), usage(14, '2025-09-01T00:00:00Z'), usage(3, '2026-05-01T00:00:00Z'));

    const after = accepted(apply(before, renewed({ seats: 5 })));

    expect(after).toMatchObject({
      seats: 5,
      paidPlanCode: 'premium',
      autoRenew: true,
      nextReconciliationDate: '2025-12-01',
      startDate: '2026-06-01',
      endDate: '2027-06-01',
      seatsInUse: 3,
      maxSeatsUsed: 3,
      maxSeatsUsedChangedAt: '2026-06-01T00:00:00Z',
      seatsOwed: 0,
    });
    expect(after.previousTerm).toEqual({
      subscriptionId: 'sub-1',
      planCode: 'premium',
      seats: 10,
      startDate: '2025-06-01',
      endDate: '2026-06-01',
      expiredOn: null,
      maxSeatsUsed: 14,
      maxSeatsUsedChangedAt: '2025-09-01T00:00:00Z',
      seatsBilled: 0,
      seatsOwed: 4,
      nextReconciliationDate: '2025-12-01',
    });
    expect(after.fold.previousTermKey).toBe(before.fold.termKey);
  });

  it('takes autoRenew, plan and reconciliation date when the renewal carries them', () => {
    const after = accepted(apply(paid(), renewed({ planCode: 'ultimate', autoRenew: false, nextReconciliationDate: '2026-12-01' })));
    expect(after).toMatchObject({ paidPlanCode: 'ultimate', planCode: 'ultimate', autoRenew: false, nextReconciliationDate: '2026-12-01' });
  });

  it('reactivates an expired term', () => {
    const after = accepted(apply(fold(created(), expired('2026-06-01')), renewed({ startDate: '2026-08-01', endDate: '2027-08-01' })));
    expect(after).toMatchObject({ status: 'active', expiredOn: null, planCode: 'premium', startDate: '2026-08-01' });
  });

  it('refuses a renewal that does not start after the current term, and one for a subscription the namespace does not hold', () => {
    expectRejected(apply(paid(), renewed({ startDate: '2025-06-01' })), 'stale_event');
    expectRejected(apply(paid(), renewed({ startDate: '2025-05-01' })), 'stale_event');
    expectRejected(apply(paid(), renewed({ subscriptionId: 'sub-9' })), 'subscription_not_held');
  });
});

describe('Rule: entitlements updated', () => {
  it('changes the fields it carries and keeps the peak: seats used earlier in the term are still owed', () => {
    const before = fold(created(), usage(14, '2025-09-01T00:00:00Z'));

    const after = accepted(apply(before, entitlements({ seats: 12, autoRenew: true })));

    expect(after).toMatchObject({ seats: 12, autoRenew: true, maxSeatsUsed: 14, seatsOwed: 2, paidPlanCode: 'premium' });
  });

  it('refuses an update after the term expired', () => {
    expectRejected(apply(fold(created(), expired('2026-01-01')), entitlements({ seats: 3 })), 'subscription_expired');
  });
});

describe('Rule: expired', () => {
  it('ends the term on expiredOn: free, nothing owed on the current state, association and statistics kept', () => {
    const before = fold(created({ autoRenew: true, nextReconciliationDate: '2025-12-01' }), usage(14, '2025-09-01T00:00:00Z'));

    const after = accepted(apply(before, expired('2026-03-01')));

    expect(after).toMatchObject({
      status: 'expired',
      expiredOn: '2026-03-01',
      planCode: 'free',
      paidPlanCode: 'premium',
      subscriptionId: 'sub-1',
      maxSeatsUsed: 14,
      seatsOwed: 0,
      autoRenew: false,
      nextReconciliationDate: null,
    });
  });

  it('changes nothing current when expiredOn is not after the current term’s start (it concerns an earlier term)', () => {
    const renewedState = fold(created(), renewed());
    expect(accepted(apply(renewedState, expired('2026-06-01')))).toEqual(renewedState);
  });

  it('refuses a second expiry as stale', () => {
    expectRejected(apply(fold(created(), expired('2026-03-01')), expired('2026-04-01')), 'stale_event');
  });
});

describe('Rules: trials', () => {
  it('puts the namespace on the trial plan, keeps the paid plan underneath, owes nothing while it runs', () => {
    const before = fold(created(), usage(14, '2025-07-01T00:00:00Z'));

    const after = accepted(apply(before, trialStarted('2025-08-01', '2025-08-31')));

    expect(after).toMatchObject({ trial: true, planCode: 'ultimate_trial', paidPlanCode: 'premium', trialStartsOn: '2025-08-01', trialEndsOn: '2025-08-31', seatsOwed: 0 });
  });

  it('refuses a second trial while one runs', () => {
    expectRejected(apply(fold(trialStarted('2025-08-01', '2025-08-31')), trialStarted('2025-08-10', '2025-09-30')), 'stale_event');
  });

  it('ends the trial running then, keeping its dates (its last day the day it ended), back to the paid plan', () => {
    const after = accepted(apply(fold(created(), trialStarted('2025-08-01', '2025-08-31')), trialEnded('2025-08-20')));
    expect(after).toMatchObject({ trial: false, trialStartsOn: '2025-08-01', trialEndsOn: '2025-08-20', planCode: 'premium' });
  });

  it('changes nothing when no trial runs', () => {
    const before = paid();
    expect(accepted(apply(before, trialEnded('2025-08-20')))).toEqual(before);
  });

  it('a paid term starting during a trial converts it (a renewal too)', () => {
    const after = accepted(apply(fold(created(), trialStarted('2026-05-20', '2026-06-20')), renewed()));
    expect(after).toMatchObject({ trial: false, trialEndsOn: '2026-05-31', planCode: 'premium', startDate: '2026-06-01' });
  });
});

describe('Rule: seat usage reported', () => {
  it('counts toward the peak of the term its instant falls in; seatsInUse is the newest measurement', () => {
    const s = fold(created(), usage(14, '2025-09-01T00:00:00Z'), usage(3, '2025-10-01T00:00:00Z'));
    expect(s).toMatchObject({ seatsInUse: 3, maxSeatsUsed: 14, maxSeatsUsedChangedAt: '2025-09-01T00:00:00Z', seatsOwed: 4, lastMeasuredAt: '2025-10-01T00:00:00Z' });
  });

  it('replaces the carried-in value by the term’s first own measurement, even a lower one', () => {
    const s = fold(created(), usage(16, '2026-05-31T00:00:00Z'), renewed(), usage(9, '2026-06-02T00:00:00Z'));
    expect(s).toMatchObject({ maxSeatsUsed: 9, maxSeatsUsedChangedAt: '2026-06-02T00:00:00Z', seatsOwed: 0 });
    expect(s.previousTerm).toMatchObject({ maxSeatsUsed: 16, seatsOwed: 6 });
  });

  it('keeps when the peak was first reached', () => {
    const s = fold(created(), usage(12, '2025-09-01T00:00:00Z'), usage(12, '2025-10-01T00:00:00Z'));
    expect(s.maxSeatsUsedChangedAt).toBe('2025-09-01T00:00:00Z');
  });

  it.each([
    { case: 'before the term', at: '2025-05-31T23:59:59Z' },
    { case: 'after the term’s end (its renewal not heard of yet)', at: '2026-06-01T00:00:00Z' },
    { case: 'on a trial day', at: '2025-08-15T12:00:00Z' },
    { case: 'after the expiry', at: '2026-03-01T00:00:00Z' },
  ])('does not count toward the peak $case', ({ at }) => {
    const s = fold(created(), trialStarted('2025-08-01', '2025-08-31'), trialEnded('2025-08-31'), expired('2026-03-01'));
    expect(countsTowardPeak(s, at)).toBe(false);
    const after = accepted(apply(s, usage(30, at)));
    expect(after).toMatchObject({ seatsInUse: 30, maxSeatsUsed: s.maxSeatsUsed });
  });

  it('counts on the first day after a trial and at the term’s first instant', () => {
    const s = fold(created(), trialStarted('2025-08-01', '2025-08-31'), trialEnded('2025-08-31'));
    expect(countsTowardPeak(s, '2025-09-01T00:00:00Z')).toBe(true);
    expect(countsTowardPeak(s, '2025-06-01T00:00:00Z')).toBe(true);
    expect(countsTowardPeak(s, '2025-06-01T01:00:00+02:00')).toBe(false);
  });

  it('treats every day from a running trial’s start as a trial day until its end arrives', () => {
    const s = fold(created(), trialStarted('2025-08-01', '2025-08-10'));
    expect(countsTowardPeak(s, '2025-09-15T00:00:00Z')).toBe(false);
  });
});

describe('Function: summarizeTerm', () => {
  it('is null without a term', () => {
    expect(summarizeTerm(emptyState(NS))).toBeNull();
  });
});

describe('Rule: trial extended (issue 17)', () => {
  const extended = (trialEndsOn: string): LifecycleCommand => ({ ...base(), type: 'trialExtended', namespaceId: NS, trialEndsOn });

  it('moves the running trial’s last day, later or earlier, as long as it is after its start', () => {
    const running = fold(trialStarted('2025-08-01', '2025-08-31'));
    expect(accepted(apply(running, extended('2025-09-30')))).toMatchObject({ trial: true, trialStartsOn: '2025-08-01', trialEndsOn: '2025-09-30' });
    expect(accepted(apply(running, extended('2025-08-10')))).toMatchObject({ trialEndsOn: '2025-08-10' });
  });

  it('changes nothing for a day on or before the start, or with no trial running', () => {
    const running = fold(trialStarted('2025-08-01', '2025-08-31'));
    expect(accepted(apply(running, extended('2025-08-01')))).toEqual(running);
    const ended = fold(trialStarted('2025-08-01', '2025-08-31'), trialEnded('2025-08-20'));
    expect(accepted(apply(ended, extended('2025-12-31')))).toEqual(ended);
  });
});

describe('Rule: reconciliation completed (issue 17)', () => {
  const reconciled = (termStartDate: string, seatsBilled: number, subscriptionId = 'sub-1'): LifecycleCommand => ({
    ...base(),
    type: 'reconciliationCompleted',
    subscriptionId,
    termStartDate,
    seatsBilled,
  });

  it('lowers what the current term owes by what was billed; several add up', () => {
    const owing = fold(created(), usage(16, '2025-09-01T00:00:00Z'));
    expect(owing.seatsOwed).toBe(6);
    const once = accepted(apply(owing, reconciled('2025-06-01', 4)));
    expect(once).toMatchObject({ seatsBilled: 4, seatsOwed: 2, maxSeatsUsed: 16 });
    expect(accepted(apply(once, reconciled('2025-06-01', 5)))).toMatchObject({ seatsBilled: 9, seatsOwed: 0 });
  });

  it('bills the previous term by its start, which keeps what it still owes', () => {
    const renewedState = fold(created(), usage(16, '2025-09-01T00:00:00Z'), renewed());
    const after = accepted(apply(renewedState, reconciled('2025-06-01', 2)));
    expect(after.previousTerm).toMatchObject({ startDate: '2025-06-01', seatsBilled: 2, seatsOwed: 4 });
    expect(after.seatsBilled).toBe(0);
  });

  it('refuses a term that is neither the current nor the previous one, and a subscription not held', () => {
    expectRejected(apply(paid(), reconciled('2024-06-01', 1)), 'term_not_found');
    expectRejected(apply(paid(), reconciled('2025-06-01', 1, 'sub-9')), 'subscription_not_held');
  });
});

describe('Rule: seat statistics corrected (issue 17)', () => {
  const corrected = (termStartDate: string, maxSeatsUsed: number, occurredAt = '2025-10-01T12:00:00Z'): LifecycleCommand => ({
    ...base(),
    occurredAt,
    type: 'seatStatisticsCorrected',
    namespaceId: NS,
    termStartDate,
    maxSeatsUsed,
    reason: 'wrong_measurement',
    note: 'A test group was counted twice',
  });

  it('sets the current term’s peak; measurements after it that are higher still raise it', () => {
    const wrong = fold(created(), usage(40, '2025-09-01T00:00:00Z'));
    const fixed = accepted(apply(wrong, corrected('2025-06-01', 12)));
    expect(fixed).toMatchObject({ maxSeatsUsed: 12, maxSeatsUsedChangedAt: '2025-10-01T12:00:00Z', seatsOwed: 2 });
    expect(accepted(apply(fixed, usage(11, '2025-10-02T00:00:00Z')))).toMatchObject({ maxSeatsUsed: 12 });
    expect(accepted(apply(fixed, usage(15, '2025-10-02T00:00:00Z')))).toMatchObject({ maxSeatsUsed: 15, seatsOwed: 5 });
  });

  it('sets the previous term’s peak and what it owes', () => {
    const renewedState = fold(created(), usage(40, '2025-09-01T00:00:00Z'), renewed());
    expect(accepted(apply(renewedState, corrected('2025-06-01', 12, '2026-06-10T00:00:00Z'))).previousTerm).toMatchObject({ maxSeatsUsed: 12, seatsOwed: 2 });
  });

  it('refuses a term the namespace does not have', () => {
    expectRejected(apply(paid(), corrected('2020-01-01', 3)), 'term_not_found');
  });
});
