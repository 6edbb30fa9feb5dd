import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DUE_CODE,
  addDays,
  associationFinding,
  changedWindow,
  datesFrom,
  driftFinding,
  dueFindings,
  findingHolds,
  lagHours,
  mayResolve,
  parseSubject,
  resolutionNote,
  termSubject,
} from '../../../shared/audit/domain.js';
import { DUE, DUE_KINDS, dueAttributes } from '../../../shared/lifecycle/domain/due.js';
import type { HolderView } from '../../../shared/audit/domain.js';
import type { Customer } from '../../../shared/billing-accounts/domain.js';
import { emptyState } from '../../../shared/lifecycle/domain/rules.js';
import type { NamespaceState, TermSummary } from '../../../shared/lifecycle/domain/types.js';

const ctx = { appliedAt: '2026-06-01T10:00:00.000Z' };

/** An active, auto-renewing paid term on namespace 42 ending 2026-12-01. */
const active = (over: Partial<NamespaceState> = {}): NamespaceState => ({
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

describe('Function: dueFindings', () => {
  it('reports a renewal the day after the term ended, not on the day', () => {
    expect(dueFindings(active(), '2026-12-01')).toEqual([]);
    const [finding] = dueFindings(active(), '2026-12-02');
    expect(finding).toMatchObject({
      code: 'renewal_not_processed',
      subject: 'subscription:S-1',
      payload: { namespaceId: 42, subscriptionId: 'S-1', dueOn: '2026-12-01', daysOverdue: 1 },
    });
    expect(finding!.message).toContain('POST /v1/subscriptions/S-1/renewals');
  });

  it('reports each kind with its own code and subject', () => {
    const state = active({ autoRenew: false, maxSeatsUsed: 14, seatsOwed: 4, trial: true, trialStartsOn: '2026-05-01', trialEndsOn: '2026-05-31', planCode: 'ultimate_trial' });
    const byCode = Object.fromEntries(dueFindings(state, '2026-12-05').map((f) => [f.code, f.subject]));
    expect(byCode).toEqual({
      expiry_not_processed: 'subscription:S-1',
      reconciliation_not_processed: 'subscription:S-1:term:2025-12-01',
      trial_not_ended: 'namespace:42',
    });
    expect(dueFindings(state, '2026-12-05', ['trialEnd']).map((f) => f.code)).toEqual(['trial_not_ended']);
  });

  const arbitraryState = fc
    .record({
      namespaceId: fc.integer({ min: 1, max: 10_000 }),
      subscriptionId: fc.option(fc.constantFrom('S-1', 'S-2'), { nil: null }),
      status: fc.constantFrom('active', 'expired', 'none'),
      autoRenew: fc.boolean(),
      endDate: fc.option(fc.integer({ min: 0, max: 60 }).map((d) => addDays('2026-11-01', d)), { nil: null }),
      seatsOwed: fc.integer({ min: 0, max: 3 }),
      nextReconciliationDate: fc.option(fc.integer({ min: 0, max: 60 }).map((d) => addDays('2026-11-01', d)), { nil: null }),
      trial: fc.boolean(),
      trialEndsOn: fc.option(fc.integer({ min: 0, max: 60 }).map((d) => addDays('2026-11-01', d)), { nil: null }),
    })
    .map((over) => ({ ...emptyState(over.namespaceId), ...over }) as NamespaceState);

  it('finds exactly the kinds whose index entry is before the date (index and findings never disagree)', () => {
    fc.assert(
      fc.property(arbitraryState, fc.integer({ min: 0, max: 70 }).map((d) => addDays('2026-11-01', d)), (state, asOf) => {
        const attributes = dueAttributes(state) as Record<string, string | number | undefined>;
        const inRange = DUE_KINDS.filter((kind) => {
          const due = attributes[DUE[kind].attribute];
          return typeof due === 'string' && due < asOf;
        });
        expect(dueFindings(state, asOf).map((f) => f.code)).toEqual(inRange.map((kind) => DUE_CODE[kind]));
        // A state with any due attribute carries the shard the index is partitioned by.
        expect(attributes.dueShard !== undefined).toBe(Object.keys(attributes).length > 0);
      }),
      { numRuns: 500 },
    );
  });
});

/** The term before active()'s: 10 seats, peak 15, 5 owed, to be reconciled by 2026-01-15. */
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

describe('Function: dueFindings, reconciliations per term', () => {
  it('reports a previous term whose reconciliation date passed with seats owed, fingerprinted by subscription and term', () => {
    const state = active({ previousTerm: previousTerm({ seatsBilled: 2, seatsOwed: 3 }) });
    expect(dueFindings(state, '2026-01-15', ['reconciliation'])).toEqual([]);
    const [finding, ...more] = dueFindings(state, '2026-01-16', ['reconciliation']);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({
      code: 'reconciliation_not_processed',
      subject: 'subscription:S-1:term:2024-12-01',
      payload: {
        namespaceId: 42,
        subscriptionId: 'S-1',
        term: 'previous',
        termStartDate: '2024-12-01',
        termEndDate: '2025-12-01',
        seats: 10,
        maxSeatsUsed: 15,
        seatsBilled: 2,
        seatsOwed: 3,
        dueOn: '2026-01-15',
        nextReconciliationDate: '2026-01-15',
        daysOverdue: 1,
      },
    });
    // Which term, what it owes after billing, since when, and what to send.
    expect(finding!.message).toContain('previous term of subscription S-1 on namespace 42 (2024-12-01 to 2025-12-01) owes 3 seat(s)');
    expect(finding!.message).toContain('2 already billed');
    expect(finding!.message).toContain('reconciliation date 2026-01-15 had passed by 2026-01-16');
    expect(finding!.message).toContain('POST /v1/subscriptions/S-1/reconciliations with termStartDate 2024-12-01 and the seatsBilled');
    expect(finding!.message).not.toContain('/entitlements');
  });

  it('reports the current and the previous term as two findings when both are overdue, one when only one is', () => {
    const both = active({ maxSeatsUsed: 14, seatsOwed: 4, previousTerm: previousTerm() });
    expect(dueFindings(both, '2026-06-02', ['reconciliation']).map((f) => [f.subject, f.payload.term, f.payload.seatsOwed])).toEqual([
      ['subscription:S-1:term:2024-12-01', 'previous', 5],
      ['subscription:S-1:term:2025-12-01', 'current', 4],
    ]);
    // The index carries the earliest date (2026-01-15); on 2026-03-01 only the previous term is overdue.
    expect(dueFindings(both, '2026-03-01', ['reconciliation']).map((f) => f.subject)).toEqual(['subscription:S-1:term:2024-12-01']);
    const current = dueFindings(both, '2026-06-02', ['reconciliation'])[1]!;
    expect(current.message).toContain('current term of subscription S-1');
    expect(current.message).toContain('POST /v1/subscriptions/S-1/entitlements');
  });

  it('reports nothing for a previous term once reconciled', () => {
    expect(dueFindings(active({ previousTerm: previousTerm({ seatsBilled: 5, seatsOwed: 0 }) }), '2026-06-02', ['reconciliation'])).toEqual([]);
  });

  const arbitraryTerms = fc
    .record({
      namespaceId: fc.integer({ min: 1, max: 10_000 }),
      status: fc.constantFrom('active', 'expired'),
      seatsOwed: fc.integer({ min: 0, max: 3 }),
      nextReconciliationDate: fc.option(fc.integer({ min: 0, max: 60 }).map((d) => addDays('2026-11-01', d)), { nil: null }),
      previousOwed: fc.integer({ min: 0, max: 3 }),
      previousDate: fc.option(fc.integer({ min: 0, max: 60 }).map((d) => addDays('2026-10-01', d)), { nil: null }),
    })
    .map(({ previousOwed, previousDate, ...over }) =>
      active({ ...over, previousTerm: previousTerm({ seatsOwed: previousOwed, nextReconciliationDate: previousDate }) }),
    );

  it('finds a term when the index has the item before the date, and only then (both terms)', () => {
    fc.assert(
      fc.property(arbitraryTerms, fc.integer({ min: 0, max: 100 }).map((d) => addDays('2026-10-01', d)), (state, asOf) => {
        const due = dueAttributes(state).reconciliationDue;
        const findings = dueFindings(state, asOf, ['reconciliation']);
        expect(findings.length > 0).toBe(due !== undefined && due < asOf);
        const subjects = findings.map((f) => f.subject);
        expect(new Set(subjects).size).toBe(subjects.length);
        for (const f of findings) expect(f.payload.seatsOwed as number).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });
});

describe('Function: associationFinding', () => {
  const holder = (namespaceId: number, subscriptionId: string | null): HolderView => ({ namespaceId, subscriptionId, status: 'active' });
  const states = (...list: Array<[number, HolderView | null]>) => new Map(list);

  it('finds nothing when the pointer and the namespace point at each other', () => {
    expect(associationFinding('S-1', { subscriptionId: 'S-1', namespaceId: 7 }, states([7, holder(7, 'S-1')]))).toBeNull();
  });

  it('finds a pointer naming a namespace that holds another subscription, or none, or no state', () => {
    expect(associationFinding('S-1', { subscriptionId: 'S-1', namespaceId: 7 }, states([7, holder(7, 'S-2')]))).toMatchObject({
      code: 'broken_association',
      subject: 'subscription:S-1',
      payload: { subscriptionId: 'S-1', pointerNamespaceId: 7, holderNamespaceIds: [], pointedHolds: 'S-2' },
    });
    expect(associationFinding('S-1', { subscriptionId: 'S-1', namespaceId: 7 }, states([7, holder(7, null)]))?.message).toContain('holds no subscription');
    expect(associationFinding('S-1', { subscriptionId: 'S-1', namespaceId: 7 }, states([7, null]))?.message).toContain('has no subscription state');
  });

  it('finds a namespace holding a subscription whose pointer is missing or names another namespace', () => {
    expect(associationFinding('S-1', null, states([7, holder(7, 'S-1')]))).toMatchObject({ payload: { pointerNamespaceId: null, holderNamespaceIds: [7] } });
    expect(associationFinding('S-1', { subscriptionId: 'S-1', namespaceId: 8 }, states([7, holder(7, 'S-1')], [8, holder(8, 'S-1')]))).toMatchObject({
      payload: { pointerNamespaceId: 8, holderNamespaceIds: [7, 8] },
    });
  });

  it('finds nothing for a subscription nothing holds and nothing points at (detached)', () => {
    expect(associationFinding('S-1', null, states([7, holder(7, 'S-2')]))).toBeNull();
  });

  it('throws when the state the pointer names was not read: the caller must read it', () => {
    expect(() => associationFinding('S-1', { subscriptionId: 'S-1', namespaceId: 9 }, states([7, holder(7, 'S-1')]))).toThrow(/namespace 9/);
  });
});

describe('Function: driftFinding', () => {
  const customer = (over: Partial<Customer> = {}): Customer => ({
    customerId: 'cust-1',
    zuoraAccountId: 'Z-1',
    membershipZuoraAccountId: 'Z-1',
    accountDataPersisted: true,
    changedOn: '2026-05-01',
    lastOccurredAt: '2026-05-01T10:00:00Z',
    lastEventId: 'e-1',
    updatedAt: '2026-05-01T10:00:01.000Z',
    version: 1,
    ...over,
  });

  it('reports a membership kept under another account, and a missing membership', () => {
    expect(driftFinding(customer({ membershipZuoraAccountId: 'Z-0' }), { membershipFound: true })).toMatchObject({
      code: 'billing_account_drift',
      subject: 'customer:cust-1',
      payload: { customerId: 'cust-1', zuoraAccountId: 'Z-1', membershipZuoraAccountId: 'Z-0', drift: 'membership_elsewhere' },
    });
    expect(driftFinding(customer(), { membershipFound: false })).toMatchObject({ payload: { drift: 'membership_missing' } });
  });

  it('finds nothing when in step, or when no membership was ever kept', () => {
    expect(driftFinding(customer(), { membershipFound: true })).toBeNull();
    expect(driftFinding(customer({ membershipZuoraAccountId: null }), { membershipFound: false })).toBeNull();
  });
});

describe('Dates, subjects and resolution', () => {
  it('looks at changes from the watermark through today, or a lookback on the first run', () => {
    expect(changedWindow('2026-11-29', '2026-12-01', 30)).toEqual({ from: '2026-11-29', through: '2026-12-01' });
    expect(changedWindow(null, '2026-12-01', 30)).toEqual({ from: '2026-11-01', through: '2026-12-01' });
    expect(changedWindow('2026-12-03', '2026-12-01', 30)).toEqual({ from: '2026-12-01', through: '2026-12-01' });
    expect(datesFrom('2026-12-30', '2027-01-02')).toEqual(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02']);
  });

  it('parses the subjects it writes, and nothing else', () => {
    expect(parseSubject('subscription:A-S0001')).toEqual({ kind: 'subscription', subscriptionId: 'A-S0001' });
    expect(parseSubject(termSubject('A-S0001', '2025-12-01'))).toEqual({ kind: 'term', subscriptionId: 'A-S0001', termStartDate: '2025-12-01' });
    // A subscription id may hold ':'; only a trailing ':term:<date>' names a term.
    expect(parseSubject('subscription:A:S1:term:2025-12-01')).toEqual({ kind: 'term', subscriptionId: 'A:S1', termStartDate: '2025-12-01' });
    expect(parseSubject('subscription:A:term:x')).toEqual({ kind: 'subscription', subscriptionId: 'A:term:x' });
    expect(parseSubject('namespace:42')).toEqual({ kind: 'namespace', namespaceId: 42 });
    expect(parseSubject('customer:cust-1')).toEqual({ kind: 'customer', customerId: 'cust-1' });
    for (const bad of ['namespace:0', 'namespace:x', 'subscription:', 'route:GET /x', 'nothing']) expect(parseSubject(bad)).toBeNull();
  });

  it("holds a record while the same finding comes back; an old subscription-wide reconciliation record while any term of it is overdue", () => {
    const [previous, current] = dueFindings(active({ maxSeatsUsed: 14, seatsOwed: 4, previousTerm: previousTerm() }), '2026-06-02', ['reconciliation']);
    const record = (subject: string, code = 'reconciliation_not_processed') => ({ code, subject });
    expect(findingHolds(record('subscription:S-1:term:2024-12-01'), previous!)).toBe(true);
    expect(findingHolds(record('subscription:S-1:term:2024-12-01'), current!)).toBe(false);
    expect(findingHolds(record('subscription:S-1'), previous!)).toBe(true);
    expect(findingHolds(record('subscription:S-1'), current!)).toBe(true);
    expect(findingHolds(record('subscription:S-2'), current!)).toBe(false);
    expect(findingHolds(record('subscription:S-1', 'renewal_not_processed'), current!)).toBe(false);
    const [renewal] = dueFindings(active(), '2026-12-02');
    expect(findingHolds(record('subscription:S-1', 'renewal_not_processed'), renewal!)).toBe(true);
  });

  it('never lets a run for an earlier date resolve what a later date found', () => {
    expect(mayResolve('renewal_not_processed', '2026-12-02', '2026-12-01')).toBe(false);
    expect(mayResolve('renewal_not_processed', '2026-12-01', '2026-12-02')).toBe(true);
    expect(mayResolve('broken_association', '2026-12-02', '2026-12-01')).toBe(true);
  });

  it('says when and why a finding was resolved', () => {
    expect(resolutionNote('renewal_not_processed', 'subscription:S-1', '2026-12-02')).toMatch(/^Resolved by the reconciliation audit of 2026-12-02: subscription:S-1: .*renewed/);
  });

  it('measures the lag in hours', () => {
    expect(lagHours('2026-12-01T05:00:00Z', new Date('2026-12-02T05:30:00Z'))).toBe(24.5);
  });
});
