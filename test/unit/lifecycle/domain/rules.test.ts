import { describe, expect, it } from 'vitest';
import {
  applyCommand,
  applyCreated,
  applyEntitlementsUpdated,
  applyExpired,
  applyRenewed,
  applySeatUsageReported,
  applyTrialEnded,
  applyTrialStarted,
  emptyState,
  seatsOwed,
} from '../../../../shared/lifecycle/domain/rules.js';
import type {
  ApplyResult,
  EntitlementsUpdated,
  LifecycleCommand,
  NamespaceState,
  RejectionCode,
  SeatUsageReported,
  SubscriptionCreated,
  SubscriptionExpired,
  SubscriptionRenewed,
  TrialEnded,
  TrialStarted,
} from '../../../../shared/lifecycle/domain/types.js';

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const NS = 42;
const ctx = { appliedAt: '2026-06-01T12:00:00.000Z' };

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

/** A state built from the empty one; seatsOwed is derived so fixtures stay consistent. */
function state(overrides: Partial<NamespaceState> = {}): NamespaceState {
  const s = { ...emptyState(NS), ...overrides };
  return deepFreeze({ ...s, seatsOwed: seatsOwed(s) });
}

/** Subscription sub-1 on premium, 10 seats, in its 2025-06-01 → 2026-06-01 term. */
function paid(overrides: Partial<NamespaceState> = {}): NamespaceState {
  return state({
    subscriptionId: 'sub-1',
    status: 'active',
    planCode: 'premium',
    paidPlanCode: 'premium',
    seats: 10,
    seatsInUse: 8,
    maxSeatsUsed: 8,
    maxSeatsUsedChangedAt: '2025-07-01T00:00:00Z',
    startDate: '2025-06-01',
    endDate: '2026-06-01',
    autoRenew: true,
    nextReconciliationDate: '2025-12-01',
    lastMeasuredAt: '2025-07-01T00:00:00Z',
    version: 3,
    updatedAt: '2025-07-01T00:00:01Z',
    ...overrides,
  });
}

/** A free namespace in an ultimate trial. */
function inTrial(overrides: Partial<NamespaceState> = {}): NamespaceState {
  return state({
    planCode: 'ultimate_trial',
    trial: true,
    trialStartsOn: '2026-05-01',
    trialEndsOn: '2026-05-31',
    seatsInUse: 6,
    maxSeatsUsed: 9,
    maxSeatsUsedChangedAt: '2026-05-10T00:00:00Z',
    lastMeasuredAt: '2026-05-20T00:00:00Z',
    version: 2,
    updatedAt: '2026-05-20T00:00:01Z',
    ...overrides,
  });
}

const base = { eventId: 'evt-1', occurredAt: '2026-06-01T10:00:00Z' };

const created = (o: Partial<SubscriptionCreated> = {}): SubscriptionCreated => ({
  ...base,
  type: 'created',
  subscriptionId: 'sub-2',
  namespaceId: NS,
  planCode: 'premium',
  seats: 10,
  startDate: '2026-06-01',
  endDate: '2027-06-01',
  ...o,
});
const renewed = (o: Partial<SubscriptionRenewed> = {}): SubscriptionRenewed => ({
  ...base,
  type: 'renewed',
  subscriptionId: 'sub-1',
  startDate: '2026-06-01',
  endDate: '2027-06-01',
  ...o,
});
const entitlements = (o: Partial<EntitlementsUpdated> = {}): EntitlementsUpdated => ({
  ...base,
  type: 'entitlementsUpdated',
  subscriptionId: 'sub-1',
  ...o,
});
const expired = (o: Partial<SubscriptionExpired> = {}): SubscriptionExpired => ({
  ...base,
  type: 'expired',
  subscriptionId: 'sub-1',
  expiredOn: '2026-06-01',
  ...o,
});
const trialStarted = (o: Partial<TrialStarted> = {}): TrialStarted => ({
  ...base,
  type: 'trialStarted',
  namespaceId: NS,
  planCode: 'ultimate_trial',
  trialStartsOn: '2026-06-01',
  trialEndsOn: '2026-07-01',
  ...o,
});
const trialEnded = (o: Partial<TrialEnded> = {}): TrialEnded => ({
  ...base,
  type: 'trialEnded',
  namespaceId: NS,
  endedOn: '2026-07-01',
  ...o,
});
const usage = (seatsInUse: number, measuredAt: string): SeatUsageReported => ({
  ...base,
  type: 'seatUsageReported',
  namespaceId: NS,
  seatsInUse,
  measuredAt,
});

function accepted(result: ApplyResult): NamespaceState {
  if (!result.ok) throw new Error(`expected the command to apply, got ${JSON.stringify(result.rejection)}`);
  return result.state;
}

function expectRejected(result: ApplyResult, code: RejectionCode): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.rejection.code).toBe(code);
  expect(result.rejection.message.length).toBeGreaterThan(20);
  expect(result).not.toHaveProperty('state');
}

// ---------------------------------------------------------------------------------------------

describe('Function: emptyState', () => {
  it('describes a never-seen namespace: no subscription, free, no statistics, never stored', () => {
    expect(emptyState(7)).toEqual({
      namespaceId: 7,
      subscriptionId: null,
      planCode: 'free',
      paidPlanCode: null,
      seats: 0,
      seatsInUse: 0,
      maxSeatsUsed: 0,
      maxSeatsUsedChangedAt: null,
      seatsOwed: 0,
      trial: false,
      trialStartsOn: null,
      trialEndsOn: null,
      startDate: null,
      endDate: null,
      autoRenew: false,
      nextReconciliationDate: null,
      status: 'none',
      lastMeasuredAt: null,
      version: 0,
      updatedAt: null,
    });
  });

  it('returns a fresh object on every call', () => {
    expect(emptyState(7)).not.toBe(emptyState(7));
  });
});

describe('Function: seatsOwed', () => {
  it.each([
    { case: 'paid plan over the licence', s: { status: 'active', planCode: 'premium', seats: 10, maxSeatsUsed: 14 }, owed: 4 },
    { case: 'paid plan at the licence', s: { status: 'active', planCode: 'ultimate', seats: 10, maxSeatsUsed: 10 }, owed: 0 },
    { case: 'paid plan under the licence', s: { status: 'active', planCode: 'premium', seats: 10, maxSeatsUsed: 3 }, owed: 0 },
    { case: 'free plan', s: { status: 'active', planCode: 'free', seats: 0, maxSeatsUsed: 14 }, owed: 0 },
    { case: 'trial flag on a paid plan code', s: { status: 'active', planCode: 'premium', trial: true, seats: 10, maxSeatsUsed: 14 }, owed: 0 },
    { case: 'trial plan code', s: { status: 'active', planCode: 'ultimate_trial', seats: 10, maxSeatsUsed: 14 }, owed: 0 },
    { case: 'expired subscription', s: { status: 'expired', planCode: 'premium', seats: 10, maxSeatsUsed: 14 }, owed: 0 },
    { case: 'no subscription', s: { status: 'none', planCode: 'free', seats: 0, maxSeatsUsed: 14 }, owed: 0 },
  ] as const)('$case → $owed', ({ s, owed }) => {
    expect(seatsOwed({ ...emptyState(NS), ...s })).toBe(owed);
  });
});

describe('Function: applyCommand', () => {
  it.each<[string, NamespaceState, LifecycleCommand]>([
    ['created', state(), created()],
    ['renewed', paid(), renewed()],
    ['entitlementsUpdated', paid(), entitlements({ seats: 12 })],
    ['expired', paid(), expired()],
    ['trialStarted', paid(), trialStarted()],
    ['trialEnded', inTrial(), trialEnded()],
    ['seatUsageReported', paid(), usage(9, '2026-06-01T00:00:00Z')],
  ])('dispatches %s, bumps the version and stamps updatedAt without touching the input', (_type, before, command) => {
    const snapshot = structuredClone(before);

    const after = accepted(applyCommand(before, command, ctx));

    expect(after).not.toBe(before);
    expect(after.version).toBe(before.version + 1);
    expect(after.updatedAt).toBe(ctx.appliedAt);
    expect(after.namespaceId).toBe(before.namespaceId);
    expect(after.seatsOwed).toBe(seatsOwed(after));
    expect(before).toEqual(snapshot);
  });

  it('gives the same answer as the rule it dispatches to', () => {
    const before = paid();
    const command = renewed({ seats: 5 });

    expect(applyCommand(before, command, ctx)).toEqual(applyRenewed(before, command, ctx));
  });

  it('follows the issue: 10 seats, usage 14 then 3, renewal with 5 seats owes nothing', () => {
    // Prepare
    let s = accepted(
      applyCommand(
        emptyState(NS),
        created({ subscriptionId: 'sub-1', seats: 10, startDate: '2025-06-01', endDate: '2026-06-01' }),
        ctx,
      ),
    );
    s = accepted(applyCommand(s, usage(14, '2025-09-01T00:00:00Z'), ctx));
    expect(s.seatsOwed).toBe(4);
    s = accepted(applyCommand(s, usage(3, '2025-10-01T00:00:00Z'), ctx));
    expect(s).toMatchObject({ seatsInUse: 3, maxSeatsUsed: 14, seatsOwed: 4 });

    // Act
    const renewal = renewed({ seats: 5, occurredAt: '2026-06-01T00:00:00Z' });
    const after = accepted(applyCommand(s, renewal, ctx));

    // Assess
    expect(after).toMatchObject({
      seats: 5,
      seatsInUse: 3,
      maxSeatsUsed: 3,
      maxSeatsUsedChangedAt: '2026-06-01T00:00:00Z',
      seatsOwed: 0,
      version: 4,
    });
  });
});

describe('Rule: seat usage reported', () => {
  it.each([
    {
      case: 'on a namespace without subscription',
      before: state(),
      command: usage(5, '2026-05-01T00:00:00Z'),
      expected: { seatsInUse: 5, maxSeatsUsed: 5, maxSeatsUsedChangedAt: '2026-05-01T00:00:00Z', lastMeasuredAt: '2026-05-01T00:00:00Z', seatsOwed: 0, status: 'none', planCode: 'free' },
    },
    {
      case: 'a new peak over the licence',
      before: paid(),
      command: usage(14, '2025-08-01T00:00:00Z'),
      expected: { seatsInUse: 14, maxSeatsUsed: 14, maxSeatsUsedChangedAt: '2025-08-01T00:00:00Z', lastMeasuredAt: '2025-08-01T00:00:00Z', seatsOwed: 4 },
    },
    {
      case: 'lower usage keeps the peak and when it was reached',
      before: paid({ seatsInUse: 14, maxSeatsUsed: 14 }),
      command: usage(3, '2025-08-01T00:00:00Z'),
      expected: { seatsInUse: 3, maxSeatsUsed: 14, maxSeatsUsedChangedAt: '2025-07-01T00:00:00Z', lastMeasuredAt: '2025-08-01T00:00:00Z', seatsOwed: 4 },
    },
    {
      case: 'usage equal to the peak does not move when it was reached',
      before: paid(),
      command: usage(8, '2025-08-01T00:00:00Z'),
      expected: { seatsInUse: 8, maxSeatsUsed: 8, maxSeatsUsedChangedAt: '2025-07-01T00:00:00Z', lastMeasuredAt: '2025-08-01T00:00:00Z' },
    },
    {
      case: 'a re-measurement at the same instant',
      before: paid(),
      command: usage(12, '2025-07-01T00:00:00Z'),
      expected: { seatsInUse: 12, maxSeatsUsed: 12, maxSeatsUsedChangedAt: '2025-07-01T00:00:00Z', lastMeasuredAt: '2025-07-01T00:00:00Z', seatsOwed: 2 },
    },
    {
      case: 'the same instant written with another offset',
      before: paid(),
      command: usage(12, '2025-07-01T02:00:00+02:00'),
      expected: { seatsInUse: 12, lastMeasuredAt: '2025-07-01T02:00:00+02:00' },
    },
    {
      case: 'a newer instant that sorts lower as a string',
      before: paid({ lastMeasuredAt: '2025-07-01T09:00:00Z' }),
      command: usage(9, '2025-07-01T08:30:00-01:00'),
      expected: { seatsInUse: 9, maxSeatsUsed: 9, lastMeasuredAt: '2025-07-01T08:30:00-01:00' },
    },
    {
      case: 'during a trial (nothing owed)',
      before: inTrial(),
      command: usage(30, '2026-05-21T00:00:00Z'),
      expected: { seatsInUse: 30, maxSeatsUsed: 30, seatsOwed: 0, trial: true },
    },
  ])('applies $case', ({ before, command, expected }) => {
    const after = accepted(applySeatUsageReported(before, command, ctx));

    expect(after).toMatchObject({ ...expected, version: before.version + 1, updatedAt: ctx.appliedAt });
    expect(after.seats).toBe(before.seats);
    expect(after.planCode).toBe(before.planCode);
  });

  it.each([
    { case: 'a measurement older than the last one', before: paid(), command: usage(20, '2025-06-30T23:59:59Z'), code: 'stale_event' },
    {
      case: 'an older instant that sorts higher as a string',
      before: paid({ lastMeasuredAt: '2025-07-01T09:00:00Z' }),
      command: usage(20, '2025-07-01T10:00:00+02:00'),
      code: 'stale_event',
    },
    { case: 'an unparsable measuredAt', before: paid(), command: usage(20, 'yesterday'), code: 'invalid_dates' },
  ] as const)('rejects $case with $code and leaves the state untouched', ({ before, command, code }) => {
    const snapshot = structuredClone(before);

    expectRejected(applySeatUsageReported(before, command, ctx), code);
    expect(before).toEqual(snapshot);
  });
});

describe('Rule: created', () => {
  it('starts a paid term on a never-seen namespace, with the defaults for the optional fields', () => {
    const after = accepted(applyCreated(state(), created(), ctx));

    expect(after).toEqual({
      ...emptyState(NS),
      subscriptionId: 'sub-2',
      status: 'active',
      planCode: 'premium',
      paidPlanCode: 'premium',
      seats: 10,
      startDate: '2026-06-01',
      endDate: '2027-06-01',
      autoRenew: false,
      nextReconciliationDate: null,
      maxSeatsUsed: 0,
      maxSeatsUsedChangedAt: base.occurredAt,
      seatsOwed: 0,
      version: 1,
      updatedAt: ctx.appliedAt,
    });
  });

  it('takes autoRenew and nextReconciliationDate from the event', () => {
    const after = accepted(applyCreated(state(), created({ autoRenew: true, nextReconciliationDate: '2026-12-01' }), ctx));

    expect(after).toMatchObject({ autoRenew: true, nextReconciliationDate: '2026-12-01' });
  });

  it.each([
    { case: 'a free namespace with earlier usage', before: state({ seatsInUse: 7, maxSeatsUsed: 25, lastMeasuredAt: '2026-05-01T00:00:00Z' }) },
    {
      case: 'a namespace whose other subscription expired',
      before: paid({ status: 'expired', planCode: 'free', paidPlanCode: null, seatsInUse: 7, maxSeatsUsed: 25, autoRenew: false, nextReconciliationDate: null }),
    },
    {
      case: 'a namespace whose same subscription expired',
      before: paid({ subscriptionId: 'sub-2', status: 'expired', planCode: 'free', paidPlanCode: null, seatsInUse: 7, maxSeatsUsed: 25 }),
    },
  ])('resets the peak to the seats in use on $case', ({ before }) => {
    const after = accepted(applyCreated(before, created({ seats: 10 }), ctx));

    expect(after).toMatchObject({
      subscriptionId: 'sub-2',
      status: 'active',
      planCode: 'premium',
      seatsInUse: 7,
      maxSeatsUsed: 7,
      maxSeatsUsedChangedAt: base.occurredAt,
      seatsOwed: 0,
      lastMeasuredAt: before.lastMeasuredAt,
    });
  });

  it('converts a namespace in trial: trial cleared, statistics reset, paid plan in force', () => {
    const before = inTrial({ seatsInUse: 12, maxSeatsUsed: 20 });

    const after = accepted(applyCreated(before, created({ planCode: 'ultimate', seats: 10 }), ctx));

    expect(after).toMatchObject({
      trial: false,
      trialStartsOn: null,
      trialEndsOn: null,
      planCode: 'ultimate',
      paidPlanCode: 'ultimate',
      status: 'active',
      seatsInUse: 12,
      maxSeatsUsed: 12,
      maxSeatsUsedChangedAt: base.occurredAt,
      seatsOwed: 2,
    });
  });

  it.each([
    { case: 'another subscription is active on the namespace', before: paid(), command: created(), code: 'namespace_has_subscription' },
    {
      case: 'another subscription is active under a trial',
      before: paid({ trial: true, planCode: 'ultimate_trial', trialStartsOn: '2026-05-01', trialEndsOn: '2026-06-30' }),
      command: created(),
      code: 'namespace_has_subscription',
    },
    { case: 'the same subscription is already active', before: paid(), command: created({ subscriptionId: 'sub-1' }), code: 'subscription_exists' },
    { case: 'the term ends when it starts', before: state(), command: created({ endDate: '2026-06-01' }), code: 'invalid_dates' },
    { case: 'the term ends before it starts', before: state(), command: created({ endDate: '2026-05-01' }), code: 'invalid_dates' },
  ] as const)('rejects with $code when $case', ({ before, command, code }) => {
    const snapshot = structuredClone(before);

    expectRejected(applyCreated(before, command, ctx), code);
    expect(before).toEqual(snapshot);
  });
});

describe('Rule: renewed', () => {
  it('starts a new term: dates, seats and plan from the event, the peak reset', () => {
    const before = paid({ seatsInUse: 3, maxSeatsUsed: 14 });

    const after = accepted(
      applyRenewed(before, renewed({ seats: 5, planCode: 'ultimate', nextReconciliationDate: '2026-12-01', occurredAt: '2026-06-01T00:00:00Z' }), ctx),
    );

    expect(after).toEqual({
      ...before,
      startDate: '2026-06-01',
      endDate: '2027-06-01',
      seats: 5,
      planCode: 'ultimate',
      paidPlanCode: 'ultimate',
      nextReconciliationDate: '2026-12-01',
      maxSeatsUsed: 3,
      maxSeatsUsedChangedAt: '2026-06-01T00:00:00Z',
      seatsOwed: 0,
      version: before.version + 1,
      updatedAt: ctx.appliedAt,
    });
  });

  it('keeps seats, plan and reconciliation date the event does not give', () => {
    const after = accepted(applyRenewed(paid(), renewed(), ctx));

    expect(after).toMatchObject({ seats: 10, planCode: 'premium', paidPlanCode: 'premium', nextReconciliationDate: '2025-12-01', autoRenew: true });
  });

  it('reactivates an expired subscription when the renewal names the plan', () => {
    const before = paid({ status: 'expired', planCode: 'free', paidPlanCode: null, autoRenew: false, nextReconciliationDate: null, seatsInUse: 4, maxSeatsUsed: 14 });

    const after = accepted(applyRenewed(before, renewed({ planCode: 'premium' }), ctx));

    expect(after).toMatchObject({ status: 'active', planCode: 'premium', paidPlanCode: 'premium', maxSeatsUsed: 4, seatsOwed: 0 });
  });

  it('keeps a trial running on top of the paid term and updates the paid plan underneath', () => {
    const before = paid({ trial: true, planCode: 'ultimate_trial', trialStartsOn: '2026-05-20', trialEndsOn: '2026-06-20', seatsInUse: 12, maxSeatsUsed: 15 });

    const after = accepted(applyRenewed(before, renewed({ planCode: 'ultimate', seats: 10 }), ctx));

    expect(after).toMatchObject({
      trial: true,
      planCode: 'ultimate_trial',
      trialStartsOn: '2026-05-20',
      trialEndsOn: '2026-06-20',
      paidPlanCode: 'ultimate',
      maxSeatsUsed: 12,
      seatsOwed: 0,
    });
  });

  it.each([
    { case: 'the namespace holds another subscription', before: paid({ subscriptionId: 'sub-9' }), command: renewed(), code: 'stale_event' },
    { case: 'the namespace holds no subscription', before: state(), command: renewed(), code: 'stale_event' },
    { case: 'the term starts on the current start', before: paid(), command: renewed({ startDate: '2025-06-01', endDate: '2026-06-01' }), code: 'stale_event' },
    { case: 'the term starts before the current start', before: paid(), command: renewed({ startDate: '2024-06-01', endDate: '2025-06-01' }), code: 'stale_event' },
    { case: 'the term ends when it starts', before: paid(), command: renewed({ endDate: '2026-06-01' }), code: 'invalid_dates' },
    { case: 'the term ends before it starts', before: paid(), command: renewed({ endDate: '2026-01-01' }), code: 'invalid_dates' },
    {
      case: 'an expired subscription is renewed without a plan',
      before: paid({ status: 'expired', planCode: 'free', paidPlanCode: null }),
      command: renewed(),
      code: 'subscription_expired',
    },
  ] as const)('rejects with $code when $case', ({ before, command, code }) => {
    const snapshot = structuredClone(before);

    expectRejected(applyRenewed(before, command, ctx), code);
    expect(before).toEqual(snapshot);
  });
});

describe('Rule: entitlements updated', () => {
  it.each([
    { case: 'seats added, still under the peak', before: paid({ maxSeatsUsed: 14 }), command: entitlements({ seats: 12 }), expected: { seats: 12, maxSeatsUsed: 14, seatsOwed: 2 } },
    { case: 'seats added, covering the peak', before: paid({ maxSeatsUsed: 14 }), command: entitlements({ seats: 20 }), expected: { seats: 20, maxSeatsUsed: 14, seatsOwed: 0 } },
    { case: 'seats removed below the peak', before: paid({ maxSeatsUsed: 8 }), command: entitlements({ seats: 5 }), expected: { seats: 5, maxSeatsUsed: 8, seatsOwed: 3 } },
    { case: 'plan changed', before: paid({ maxSeatsUsed: 14 }), command: entitlements({ planCode: 'ultimate' }), expected: { planCode: 'ultimate', paidPlanCode: 'ultimate', seats: 10, maxSeatsUsed: 14, seatsOwed: 4 } },
    { case: 'reconciliation rescheduled', before: paid(), command: entitlements({ nextReconciliationDate: '2026-03-01' }), expected: { nextReconciliationDate: '2026-03-01', seats: 10, planCode: 'premium' } },
    { case: 'nothing given', before: paid({ maxSeatsUsed: 14 }), command: entitlements(), expected: { seats: 10, planCode: 'premium', nextReconciliationDate: '2025-12-01', maxSeatsUsed: 14, seatsOwed: 4 } },
    {
      case: 'plan changed while a trial runs (only the paid plan changes)',
      before: paid({ trial: true, planCode: 'ultimate_trial', trialStartsOn: '2025-08-01', trialEndsOn: '2025-09-01', maxSeatsUsed: 14 }),
      command: entitlements({ planCode: 'ultimate', seats: 11 }),
      expected: { planCode: 'ultimate_trial', paidPlanCode: 'ultimate', seats: 11, trial: true, maxSeatsUsed: 14, seatsOwed: 0 },
    },
  ])('keeps the peak and recomputes seatsOwed: $case', ({ before, command, expected }) => {
    const after = accepted(applyEntitlementsUpdated(before, command, ctx));

    expect(after).toMatchObject({
      ...expected,
      maxSeatsUsedChangedAt: before.maxSeatsUsedChangedAt,
      startDate: before.startDate,
      endDate: before.endDate,
      version: before.version + 1,
      updatedAt: ctx.appliedAt,
    });
  });

  it.each([
    { case: 'the subscription has expired', before: paid({ status: 'expired', planCode: 'free', paidPlanCode: null }), code: 'subscription_expired' },
    { case: 'the namespace holds another subscription', before: paid({ subscriptionId: 'sub-9' }), code: 'stale_event' },
  ] as const)('rejects with $code when $case', ({ before, code }) => {
    const snapshot = structuredClone(before);

    expectRejected(applyEntitlementsUpdated(before, entitlements({ seats: 50 }), ctx), code);
    expect(before).toEqual(snapshot);
  });
});

describe('Rule: expired', () => {
  it('drops the namespace to free with nothing owed, keeping the association and the statistics', () => {
    const before = paid({ seatsInUse: 12, maxSeatsUsed: 14 });
    expect(before.seatsOwed).toBe(4);

    const after = accepted(applyExpired(before, expired(), ctx));

    expect(after).toEqual({
      ...before,
      status: 'expired',
      planCode: 'free',
      paidPlanCode: null,
      seatsOwed: 0,
      autoRenew: false,
      nextReconciliationDate: null,
      version: before.version + 1,
      updatedAt: ctx.appliedAt,
    });
    expect(after).toMatchObject({ subscriptionId: 'sub-1', seats: 10, seatsInUse: 12, maxSeatsUsed: 14, startDate: '2025-06-01' });
  });

  it('lets a trial running on top continue on its trial plan', () => {
    const before = paid({ trial: true, planCode: 'ultimate_trial', trialStartsOn: '2026-05-20', trialEndsOn: '2026-06-20' });

    const after = accepted(applyExpired(before, expired(), ctx));

    expect(after).toMatchObject({ status: 'expired', trial: true, planCode: 'ultimate_trial', paidPlanCode: null, seatsOwed: 0 });
  });

  it.each([
    { case: 'it has already expired', before: paid({ status: 'expired', planCode: 'free', paidPlanCode: null }), command: expired(), code: 'stale_event' },
    { case: 'the namespace holds another subscription', before: paid({ subscriptionId: 'sub-9' }), command: expired(), code: 'stale_event' },
    { case: 'the namespace holds no subscription', before: state(), command: expired(), code: 'stale_event' },
    { case: 'the expiry predates the current term', before: paid(), command: expired({ expiredOn: '2025-05-31' }), code: 'stale_event' },
  ] as const)('rejects with $code when $case', ({ before, command, code }) => {
    const snapshot = structuredClone(before);

    expectRejected(applyExpired(before, command, ctx), code);
    expect(before).toEqual(snapshot);
  });
});

describe('Rule: trial started', () => {
  it('puts a free namespace on the trial plan', () => {
    const before = state({ seatsInUse: 4, maxSeatsUsed: 4 });

    const after = accepted(applyTrialStarted(before, trialStarted(), ctx));

    expect(after).toEqual({
      ...before,
      trial: true,
      trialStartsOn: '2026-06-01',
      trialEndsOn: '2026-07-01',
      planCode: 'ultimate_trial',
      version: before.version + 1,
      updatedAt: ctx.appliedAt,
    });
  });

  it('keeps the paid plan underneath and owes nothing while the trial runs', () => {
    const before = paid({ maxSeatsUsed: 14 });
    expect(before.seatsOwed).toBe(4);

    const after = accepted(applyTrialStarted(before, trialStarted(), ctx));

    expect(after).toMatchObject({ trial: true, planCode: 'ultimate_trial', paidPlanCode: 'premium', status: 'active', maxSeatsUsed: 14, seatsOwed: 0 });
  });

  it.each([
    { case: 'a trial is already running', before: inTrial(), command: trialStarted(), code: 'stale_event' },
    { case: 'the trial ends when it starts', before: state(), command: trialStarted({ trialEndsOn: '2026-06-01' }), code: 'invalid_dates' },
    { case: 'the trial ends before it starts', before: state(), command: trialStarted({ trialEndsOn: '2026-05-01' }), code: 'invalid_dates' },
  ] as const)('rejects with $code when $case', ({ before, command, code }) => {
    const snapshot = structuredClone(before);

    expectRejected(applyTrialStarted(before, command, ctx), code);
    expect(before).toEqual(snapshot);
  });
});

describe('Rule: trial ended', () => {
  it.each([
    { case: 'without a subscription: back to free', before: inTrial(), planCode: 'free', seatsOwed: 0 },
    {
      case: 'on an active paid term: back to the paid plan, overage owed again',
      before: paid({ trial: true, planCode: 'ultimate_trial', trialStartsOn: '2025-08-01', trialEndsOn: '2025-09-01', maxSeatsUsed: 14 }),
      planCode: 'premium',
      seatsOwed: 4,
    },
    {
      case: 'after the paid term expired: back to free',
      before: paid({ status: 'expired', paidPlanCode: null, trial: true, planCode: 'ultimate_trial', trialStartsOn: '2026-05-20', trialEndsOn: '2026-06-20', maxSeatsUsed: 14 }),
      planCode: 'free',
      seatsOwed: 0,
    },
  ])('ends the trial $case, never resetting statistics', ({ before, planCode, seatsOwed: owed }) => {
    const after = accepted(applyTrialEnded(before, trialEnded(), ctx));

    expect(after).toEqual({
      ...before,
      trial: false,
      trialStartsOn: null,
      trialEndsOn: null,
      planCode,
      seatsOwed: owed,
      version: before.version + 1,
      updatedAt: ctx.appliedAt,
    });
  });

  it.each([
    { case: 'a free namespace', before: state() },
    { case: 'a paid namespace', before: paid() },
  ])('rejects with not_in_trial on $case', ({ before }) => {
    const snapshot = structuredClone(before);

    expectRejected(applyTrialEnded(before, trialEnded(), ctx), 'not_in_trial');
    expect(before).toEqual(snapshot);
  });
});
