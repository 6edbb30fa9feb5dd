import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countReassociations, planReassociation } from '../../../shared/reassociation/domain.js';
import type {
  CountedReassociation,
  ReassociationCommand,
  ReassociationDecision,
  ReassociationInput,
  ReassociationPlan,
  TargetMeasurement,
} from '../../../shared/reassociation/domain.js';
import { applyCreated, emptyState, seatsOwed } from '../../../shared/lifecycle/domain/rules.js';
import type { FoldState } from '../../../shared/lifecycle/domain/types.js';
import { logKey } from '../../../shared/lifecycle/domain/log.js';

const SOURCE = 7;
const TARGET = 8;
const APPLIED_AT = '2026-06-01T12:00:00.000Z';

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

function state(namespaceId: number, overrides: Partial<FoldState> = {}): FoldState {
  const s = { ...emptyState(namespaceId), version: 3, updatedAt: '2026-05-01T00:00:00.000Z', ...overrides };
  return deepFreeze({ ...s, seatsOwed: seatsOwed(s) });
}

/** sub-1 on the source: premium, 10 seats, a peak of 14 (4 owed) in its 2026-01-01 → 2027-01-01 term. */
const source = (overrides: Partial<FoldState> = {}) =>
  state(SOURCE, {
    subscriptionId: 'sub-1',
    status: 'active',
    planCode: 'premium',
    paidPlanCode: 'premium',
    seats: 10,
    seatsInUse: 6,
    maxSeatsUsed: 14,
    maxSeatsUsedChangedAt: '2026-03-01T00:00:00Z',
    startDate: '2026-01-01',
    endDate: '2027-01-01',
    autoRenew: true,
    nextReconciliationDate: '2026-07-01',
    lastMeasuredAt: '2026-05-30T00:00:00Z',
    // Its peak was measured in the term (not carried in at its start).
    fold: { ...emptyState(SOURCE).fold, peakMeasured: true },
    ...overrides,
  });

const command = (overrides: Partial<ReassociationCommand> = {}): ReassociationCommand => ({
  eventId: 'r-1',
  subscriptionId: 'sub-1',
  targetNamespaceId: TARGET,
  reason: 'reseller_provisioning',
  note: 'Reseller provisioned it on its own group',
  replacePaid: false,
  ...overrides,
});

const input = (overrides: Partial<ReassociationInput> = {}): ReassociationInput => ({
  command: command(),
  sourceNamespaceId: SOURCE,
  source: source(),
  target: null,
  targetMeasurements: [],
  appliedAt: APPLIED_AT,
  ...overrides,
});

function planOf(decision: ReassociationDecision): ReassociationPlan {
  if (!decision.ok) throw new Error(`expected a plan, got ${decision.rejection.code}: ${decision.rejection.message}`);
  return decision.plan;
}

function rejectionOf(decision: ReassociationDecision) {
  if (decision.ok) throw new Error('expected a rejection, got a plan');
  return decision.rejection;
}

const TERM_FIELDS = [
  'subscriptionId', 'paidPlanCode', 'seats', 'maxSeatsUsed', 'maxSeatsUsedChangedAt', 'seatsOwed', 'startDate', 'endDate',
  'autoRenew', 'nextReconciliationDate', 'status',
] as const;

describe('planReassociation: the term moves whole', () => {
  it('moves the term to a new namespace with its statistics unchanged (never reset)', () => {
    const plan = planOf(planReassociation(input()));
    const before = source();
    for (const field of TERM_FIELDS) expect(plan.after.target[field], field).toEqual(before[field]);
    expect(plan.after.target).toMatchObject({ namespaceId: TARGET, planCode: 'premium', maxSeatsUsed: 14, seatsOwed: 4, version: 1, updatedAt: APPLIED_AT });
    // The target keeps its own measurement: it was never measured.
    expect(plan.after.target).toMatchObject({ seatsInUse: 0, lastMeasuredAt: null });
    expect(plan.before).toEqual({ source: before, target: null });
    expect(plan.displaced).toBeNull();
    expect(plan.targetWasInTrial).toBe(false);
    expect(plan.warnings).toEqual([]);
  });

  it('clears the source: no subscription, free, no term statistics; its own measurement stays', () => {
    const plan = planOf(planReassociation(input()));
    expect(plan.after.source).toEqual({
      ...emptyState(SOURCE),
      seatsInUse: 6,
      lastMeasuredAt: '2026-05-30T00:00:00Z',
      version: 4,
      updatedAt: APPLIED_AT,
    });
  });

  it('keeps the target measurement and warns when it is above the term peak', () => {
    const target = state(TARGET, { seatsInUse: 20, lastMeasuredAt: '2026-05-31T00:00:00Z', version: 9 });
    const plan = planOf(planReassociation(input({ target })));
    // Issue 17: measured within the term, the target's 20 seats are the term's peak (it stayed 14 before).
    expect(plan.after.target).toMatchObject({ seatsInUse: 20, lastMeasuredAt: '2026-05-31T00:00:00Z', maxSeatsUsed: 20, seatsOwed: 10, version: 10 });
    expect(plan.warnings.map((w) => w.code)).toEqual(['target_usage_above_peak']);
    expect(plan.before.target).toBe(target);
  });

  it('converts a target in trial as a paid term starting then would: trial over (its dates kept), paid plan applies', () => {
    const target = state(TARGET, { trial: true, planCode: 'ultimate_trial', trialStartsOn: '2026-05-01', trialEndsOn: '2026-06-30', seatsInUse: 3, lastMeasuredAt: '2026-05-20T00:00:00Z' });
    const plan = planOf(planReassociation(input({ target, command: command({ reason: 'trial_conversion' }) })));
    expect(plan.after.target).toMatchObject({ trial: false, trialStartsOn: '2026-05-01', trialEndsOn: '2026-05-31', planCode: 'premium', paidPlanCode: 'premium' });
    expect(plan.targetWasInTrial).toBe(true);
    expect(plan.warnings.map((w) => w.code)).toEqual(['trial_converted']);
    // The same conversion a paid created makes, except the statistics: created resets them, a move never does.
    const paidTerm = { type: 'created', eventId: 'c', occurredAt: APPLIED_AT, subscriptionId: 'sub-1', namespaceId: TARGET, planCode: 'premium', seats: 10, startDate: '2026-06-01', endDate: '2027-01-01' } as const;
    const created = applyCreated(target, paidTerm, { key: logKey(paidTerm) });
    if (!created.ok) throw new Error('created refused');
    for (const field of ['trial', 'trialStartsOn', 'trialEndsOn', 'planCode', 'status'] as const) {
      expect(plan.after.target[field], field).toEqual(created.state[field]);
    }
    expect(created.state.maxSeatsUsed).toBe(3);
    expect(plan.after.target.maxSeatsUsed).toBe(14);
  });

  it('says when trial_conversion is the reason but the target is not in a trial', () => {
    const plan = planOf(planReassociation(input({ command: command({ reason: 'trial_conversion' }) })));
    expect(plan.targetWasInTrial).toBe(false);
    expect(plan.warnings.map((w) => w.code)).toEqual(['trial_conversion_without_trial']);
  });

  it('moves the paid plan, not the trial plan, when the source runs a trial on top of its term; the trial stays', () => {
    const src = source({ trial: true, planCode: 'ultimate_trial', trialStartsOn: '2026-05-15', trialEndsOn: '2026-06-15' });
    const plan = planOf(planReassociation(input({ source: src })));
    expect(plan.after.target).toMatchObject({ planCode: 'premium', paidPlanCode: 'premium', trial: false, seatsOwed: 4 });
    expect(plan.after.source).toMatchObject({ planCode: 'ultimate_trial', trial: true, trialEndsOn: '2026-06-15', paidPlanCode: null, subscriptionId: null, status: 'none' });
    expect(plan.warnings.map((w) => w.code)).toEqual(['source_trial_kept']);
  });

  it('warns when the term already ended without a renewal or expiry', () => {
    const plan = planOf(planReassociation(input({ source: source({ endDate: '2026-06-01' }) })));
    expect(plan.warnings.map((w) => w.code)).toEqual(['term_already_ended']);
  });

  it('detaches an expired subscription the target still refers to, with a warning, no guard rail', () => {
    const target = state(TARGET, { subscriptionId: 'old-2', status: 'expired', planCode: 'free', seats: 5, startDate: '2024-01-01', endDate: '2025-01-01' });
    const plan = planOf(planReassociation(input({ target })));
    expect(plan.displaced).toEqual({ subscriptionId: 'old-2', wasActivePaid: false });
    expect(plan.warnings.map((w) => w.code)).toEqual(['previous_subscription_detached']);
    expect(plan.after.target.subscriptionId).toBe('sub-1');
  });

  it('never mutates its inputs and is deterministic', () => {
    const frozen = deepFreeze(input({ target: state(TARGET, { seatsInUse: 2 }) }));
    expect(planReassociation(frozen)).toEqual(planReassociation(frozen));
  });
});

describe("planReassociation: the target's own measurements within the term", () => {
  const NO_TRIAL = { trial: false, trialStartsOn: null, trialEndsOn: null };
  const measured = (seatsInUse: number, measuredAt: string, trial: TargetMeasurement['trial'] = NO_TRIAL): TargetMeasurement => ({ seatsInUse, measuredAt, trial });
  const codes = (plan: ReassociationPlan) => plan.warnings.map((w) => w.code);

  it("the issue's example: 20 in use measured within a 10-seat term make the peak 20, 10 owed; the source goes free keeping its measurement", () => {
    const src = source({ maxSeatsUsed: 6, maxSeatsUsedChangedAt: '2026-04-01T00:00:00Z', seatsInUse: 6, fold: { peakMeasured: true, termKey: null, previousTermKey: null } });
    const target = state(TARGET, { seatsInUse: 20, lastMeasuredAt: '2026-04-02T10:00:00Z' });
    const plan = planOf(planReassociation(input({ source: src, target, targetMeasurements: [measured(20, '2026-04-02T10:00:00Z')] })));
    expect(plan.after.target).toMatchObject({ subscriptionId: 'sub-1', seats: 10, maxSeatsUsed: 20, maxSeatsUsedChangedAt: '2026-04-02T10:00:00Z', seatsOwed: 10, seatsInUse: 20 });
    expect(plan.after.target.fold.peakMeasured).toBe(true);
    expect(plan.after.source).toMatchObject({ subscriptionId: null, planCode: 'free', status: 'none', seatsInUse: 6, lastMeasuredAt: src.lastMeasuredAt, maxSeatsUsed: 0, seatsOwed: 0, previousTerm: null });
    expect(codes(plan)).toEqual(['target_usage_above_peak']);
    const message = plan.warnings[0]!.message;
    for (const part of ['Namespace 8 measured 20 seats', '2026-04-02T10:00:00Z', 'above its peak of 6 on namespace 7', "the term's peak becomes 20", '10 seats owed']) {
      expect(message).toContain(part);
    }
  });

  it("counts every measurement of the target's log within the term, not only its newest; the peak's date is when it was first reached", () => {
    const target = state(TARGET, { seatsInUse: 3, lastMeasuredAt: '2026-05-20T00:00:00Z' });
    const targetMeasurements = [measured(18, '2026-05-02T00:00:00Z'), measured(18, '2026-04-10T00:00:00Z'), measured(12, '2026-02-01T00:00:00Z'), measured(3, '2026-05-20T00:00:00Z')];
    const plan = planOf(planReassociation(input({ target, targetMeasurements })));
    expect(plan.after.target).toMatchObject({ maxSeatsUsed: 18, maxSeatsUsedChangedAt: '2026-04-10T00:00:00Z', seatsOwed: 8, seatsInUse: 3, lastMeasuredAt: '2026-05-20T00:00:00Z' });
    expect(codes(plan)).toEqual(['target_usage_above_peak']);
  });

  it("measurements below or equal to the source's peak change nothing but an earlier date of that peak", () => {
    const below = planOf(planReassociation(input({ target: state(TARGET), targetMeasurements: [measured(9, '2026-02-01T00:00:00Z')] })));
    expect(below.after.target).toMatchObject({ maxSeatsUsed: 14, maxSeatsUsedChangedAt: '2026-03-01T00:00:00Z', seatsOwed: 4 });
    expect(below.warnings).toEqual([]);
    const equal = planOf(planReassociation(input({ target: state(TARGET), targetMeasurements: [measured(14, '2026-02-01T00:00:00Z'), measured(14, '2026-04-01T00:00:00Z')] })));
    expect(equal.after.target).toMatchObject({ maxSeatsUsed: 14, maxSeatsUsedChangedAt: '2026-02-01T00:00:00Z', seatsOwed: 4 });
    expect(equal.warnings).toEqual([]);
  });

  it('ignores measurements outside the term: before its start, on or after its end', () => {
    const src = source({ startDate: '2026-01-01', endDate: '2026-05-01' });
    const target = state(TARGET, { seatsInUse: 40, lastMeasuredAt: '2026-05-01T00:00:00Z' });
    const targetMeasurements = [measured(30, '2025-12-31T23:59:59.999Z'), measured(35, '2026-05-01T00:00:00Z'), measured(40, '2026-05-01T00:00:00Z'), measured(15, '2026-04-30T23:59:59Z')];
    const plan = planOf(planReassociation(input({ source: src, target, targetMeasurements })));
    expect(plan.after.target).toMatchObject({ maxSeatsUsed: 15, maxSeatsUsedChangedAt: '2026-04-30T23:59:59Z', seatsOwed: 5, seatsInUse: 40 });
    expect(codes(plan)).toEqual(['term_already_ended', 'target_usage_above_peak']);
    // Nothing within the term: the source's peak, untouched.
    const none = planOf(planReassociation(input({ source: src, target, targetMeasurements: targetMeasurements.slice(0, 3) })));
    expect(none.after.target).toMatchObject({ maxSeatsUsed: 14, maxSeatsUsedChangedAt: '2026-03-01T00:00:00Z' });
    expect(codes(none)).toEqual(['term_already_ended']);
  });

  it("ignores measurements on the target's trial days: an earlier trial's (by the trial they were measured in), and the running one's", () => {
    const earlier = { trial: false, trialStartsOn: '2026-02-01', trialEndsOn: '2026-02-28' };
    const during = { trial: true, trialStartsOn: '2026-02-01', trialEndsOn: '2026-03-15' };
    const running = { trial: true, trialStartsOn: '2026-05-01', trialEndsOn: '2026-06-30' };
    // The target had a trial in February and runs another since May (a reactivation).
    const target = state(TARGET, { ...running, planCode: 'ultimate_trial', seatsInUse: 50, lastMeasuredAt: '2026-05-30T00:00:00Z' });
    const targetMeasurements = [
      measured(30, '2026-02-10T00:00:00Z', during),
      measured(31, '2026-02-28T12:00:00Z', during), // the trial's last day is a trial day
      measured(16, '2026-03-01T00:00:00Z', earlier), // after it ended: counts
      measured(45, '2026-05-01T00:00:00Z', running),
      measured(50, '2026-05-30T00:00:00Z', running),
    ];
    const plan = planOf(planReassociation(input({ target, targetMeasurements, command: command({ reason: 'trial_conversion' }) })));
    expect(plan.after.target).toMatchObject({ maxSeatsUsed: 16, maxSeatsUsedChangedAt: '2026-03-01T00:00:00Z', seatsOwed: 6, trial: false, trialEndsOn: '2026-05-31' });
    expect(codes(plan)).toEqual(['trial_converted', 'target_usage_above_peak']);
  });

  it('a target stored before the log (no entries) counts its own measurement when it falls in the term', () => {
    const legacy = (lastMeasuredAt: string) => state(TARGET, { seatsInUse: 20, lastMeasuredAt, fold: undefined as unknown as FoldState['fold'] });
    const inTerm = planOf(planReassociation(input({ target: legacy('2026-04-15T00:00:00Z') })));
    expect(inTerm.after.target).toMatchObject({ maxSeatsUsed: 20, maxSeatsUsedChangedAt: '2026-04-15T00:00:00Z', seatsOwed: 10, seatsInUse: 20 });
    expect(inTerm.after.target.fold.peakMeasured).toBe(true);
    const before = planOf(planReassociation(input({ target: legacy('2025-11-15T00:00:00Z') })));
    expect(before.after.target).toMatchObject({ maxSeatsUsed: 14, seatsOwed: 4, seatsInUse: 20 });
    expect(before.warnings).toEqual([]);
  });

  it("a peak carried into a term that measured nothing yet: the target's measurement makes it measured", () => {
    const carried = source({ maxSeatsUsed: 6, maxSeatsUsedChangedAt: '2026-01-01T00:00:00Z', fold: { peakMeasured: false, termKey: null, previousTermKey: null } });
    expect(planOf(planReassociation(input({ source: carried, target: state(TARGET) }))).after.target.fold.peakMeasured).toBe(false);
    // As in the fold, the carried value gives way to the term's first measurement, even a lower one.
    const plan = planOf(planReassociation(input({ source: carried, target: state(TARGET), targetMeasurements: [measured(4, '2026-02-01T00:00:00Z')] })));
    expect(plan.after.target).toMatchObject({ maxSeatsUsed: 4, maxSeatsUsedChangedAt: '2026-02-01T00:00:00Z', seatsOwed: 0 });
    expect(plan.after.target.fold.peakMeasured).toBe(true);
  });

  it('what reconciliations billed of the term moves with it, and the source keeps none', () => {
    const plan = planOf(planReassociation(input({ source: source({ seatsBilled: 3 }), target: state(TARGET, { seatsBilled: 7 }) })));
    expect(plan.after.target).toMatchObject({ seatsBilled: 3, maxSeatsUsed: 14, seatsOwed: 1 });
    expect(plan.after.source.seatsBilled).toBe(0);
  });

  it('property: the peak is the highest of the source peak and every counted measurement, reached at its date', () => {
    const day = fc.integer({ min: -40, max: 400 }).map((d) => new Date(Date.UTC(2026, 0, 1) + d * 86_400_000 + 3_600_000).toISOString());
    fc.assert(
      fc.property(fc.nat(30), fc.array(fc.record({ seatsInUse: fc.nat(30), measuredAt: day }), { maxLength: 12 }), (sourcePeak, raw) => {
        const targetMeasurements = raw.map((m) => measured(m.seatsInUse, m.measuredAt));
        const plan = planOf(planReassociation(input({ source: source({ maxSeatsUsed: sourcePeak }), target: state(TARGET), targetMeasurements })));
        const within = targetMeasurements.filter((m) => m.measuredAt >= '2026-01-01' && m.measuredAt < '2027-01-01');
        const peak = Math.max(sourcePeak, ...within.map((m) => m.seatsInUse));
        expect(plan.after.target.maxSeatsUsed).toBe(peak);
        expect(plan.after.target.seatsOwed).toBe(Math.max(0, peak - 10));
        const at = plan.after.target.maxSeatsUsedChangedAt!;
        expect(at === '2026-03-01T00:00:00Z' ? sourcePeak === peak : within.some((m) => m.measuredAt === at && m.seatsInUse === peak)).toBe(true);
        for (const m of within.filter((w) => w.seatsInUse === peak)) expect(Date.parse(at)).toBeLessThanOrEqual(Date.parse(m.measuredAt));
        expect(plan.warnings.some((w) => w.code === 'target_usage_above_peak')).toBe(peak > sourcePeak);
      }),
    );
  });
});

describe('planReassociation: guard rails', () => {
  it('already_associated: the target is where the subscription already is', () => {
    expect(rejectionOf(planReassociation(input({ command: command({ targetNamespaceId: SOURCE }) }))).code).toBe('already_associated');
  });

  it('already_associated: the target state already holds the subscription', () => {
    const target = state(TARGET, { subscriptionId: 'sub-1', status: 'active' });
    expect(rejectionOf(planReassociation(input({ target }))).code).toBe('already_associated');
  });

  it('subscription_expired: an expired subscription does not move', () => {
    const rejection = rejectionOf(planReassociation(input({ source: source({ status: 'expired', planCode: 'free', paidPlanCode: null }) })));
    expect(rejection.code).toBe('subscription_expired');
    expect(rejection.message).toMatch(/Renew it first/);
  });

  it('target_has_subscription: the target holds another active paid subscription', () => {
    const target = state(TARGET, { subscriptionId: 'other-9', status: 'active', planCode: 'ultimate', paidPlanCode: 'ultimate', seats: 50, endDate: '2026-12-01' });
    const rejection = rejectionOf(planReassociation(input({ target })));
    expect(rejection.code).toBe('target_has_subscription');
    expect(rejection.message).toContain('other-9');
    expect(rejection.message).toContain('replacePaid');
  });

  it('replacePaid replaces it, says so in warnings, and marks it displaced', () => {
    const target = state(TARGET, { subscriptionId: 'other-9', status: 'active', planCode: 'ultimate', paidPlanCode: 'ultimate', seats: 50, maxSeatsUsed: 60, seatsInUse: 4 });
    const plan = planOf(planReassociation(input({ target, command: command({ replacePaid: true }) })));
    expect(plan.displaced).toEqual({ subscriptionId: 'other-9', wasActivePaid: true });
    expect(plan.warnings.map((w) => w.code)).toEqual(['paid_subscription_replaced']);
    expect(plan.warnings[0]!.message).toContain('other-9');
    // Nothing of the replaced term survives on the target: plan, seats and peak are the moved term's.
    expect(plan.after.target).toMatchObject({ subscriptionId: 'sub-1', planCode: 'premium', seats: 10, maxSeatsUsed: 14, seatsOwed: 4, seatsInUse: 4 });
  });

  it('association_broken: the pointer names a namespace that does not hold the subscription', () => {
    expect(rejectionOf(planReassociation(input({ source: null }))).code).toBe('association_broken');
    expect(rejectionOf(planReassociation(input({ source: source({ subscriptionId: 'someone-else' }) }))).code).toBe('association_broken');
  });
});

describe('planReassociation: properties', () => {
  const stateArb = (namespaceId: number) =>
    fc
      .record({
        subscriptionId: fc.constantFrom(null, 'x-1', 'x-2'),
        status: fc.constantFrom('active', 'expired', 'none') as fc.Arbitrary<FoldState['status']>,
        trial: fc.boolean(),
        seats: fc.nat(100),
        seatsInUse: fc.nat(100),
        maxSeatsUsed: fc.nat(100),
        version: fc.nat(50),
      })
      .map((r) => state(namespaceId, { ...r, planCode: r.trial ? 'ultimate_trial' : r.status === 'active' ? 'premium' : 'free', paidPlanCode: r.status === 'active' ? 'premium' : null }));

  it('an accepted move keeps the term statistics, bumps both versions, and leaves the source without a subscription', () => {
    fc.assert(
      fc.property(stateArb(TARGET), fc.boolean(), fc.nat(100), fc.nat(100), (target, replacePaid, maxSeatsUsed, seats) => {
        const src = source({ maxSeatsUsed, seats });
        const decision = planReassociation(input({ source: src, target, command: command({ replacePaid }) }));
        const holdsPaid = target.status === 'active' && target.subscriptionId !== null;
        if (holdsPaid && !replacePaid) {
          expect(decision.ok).toBe(false);
          return;
        }
        const plan = planOf(decision);
        expect(plan.after.target).toMatchObject({ maxSeatsUsed, seats, maxSeatsUsedChangedAt: src.maxSeatsUsedChangedAt, trial: false, subscriptionId: 'sub-1', version: target.version + 1 });
        // DESIGN's formula: a term without seats owes nothing.
        expect(plan.after.target.seatsOwed).toBe(seats > 0 ? Math.max(0, maxSeatsUsed - seats) : 0);
        expect(plan.after.source).toMatchObject({ subscriptionId: null, status: 'none', seatsOwed: 0, version: src.version + 1 });
        expect(plan.displaced?.subscriptionId ?? null).toBe(target.subscriptionId);
      }),
    );
  });
});

describe('report arithmetic', () => {
  it('counts by reason, by ISO week (empty weeks included, oldest first) and trial conversions by trial state', () => {
    const records: CountedReassociation[] = [
      { reason: 'trial_conversion', appliedAt: '2026-03-02T09:00:00.000Z', targetWasInTrial: true },
      { reason: 'trial_conversion', appliedAt: '2026-03-03T09:00:00.000Z', targetWasInTrial: false },
      { reason: 'other', appliedAt: '2026-03-15T23:59:59.999Z', targetWasInTrial: false },
      { reason: 'reseller_provisioning', appliedAt: '2026-03-16T00:00:00.000Z', targetWasInTrial: false },
      { reason: 'other', appliedAt: '2026-02-28T10:00:00.000Z', targetWasInTrial: false }, // before the range
    ];
    const counts = countReassociations(records, '2026-03-01', '2026-03-16');
    expect(counts.total).toBe(4);
    expect(counts.byReason).toEqual({ reseller_provisioning: 1, trial_conversion: 2, broken_association: 0, other: 1 });
    expect(counts.trialConversion).toEqual({ targetWasInTrial: 1, targetNotInTrial: 1 });
    expect(counts.byWeek.map((w) => [w.week, w.startsOn, w.total])).toEqual([
      ['2026-W09', '2026-02-23', 0],
      ['2026-W10', '2026-03-02', 2],
      ['2026-W11', '2026-03-09', 1],
      ['2026-W12', '2026-03-16', 1],
    ]);
    expect(counts.byWeek[1]!.byReason).toEqual({ reseller_provisioning: 0, trial_conversion: 2, broken_association: 0, other: 0 });
  });
});
