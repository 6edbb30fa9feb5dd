import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logKey } from '../../../../shared/lifecycle/domain/log.js';
import { applyCommand, countsTowardPeak, emptyState, seatsOwed } from '../../../../shared/lifecycle/domain/rules.js';
import type { FoldState, LifecycleCommand, RejectionCode } from '../../../../shared/lifecycle/domain/types.js';

const NS = 42;
const RUNS = { numRuns: 300 };
const REJECTION_CODES: readonly RejectionCode[] = [
  'stale_event',
  'subscription_exists',
  'namespace_has_subscription',
  'subscription_expired',
  'subscription_not_held',
];

// ---------------------------------------------------------------------------------------------
// Arbitraries: small value domains so that conflicts, stale events and trials happen often.
// ---------------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;
const EPOCH = Date.parse('2025-01-01T00:00:00Z');

const dayOffset = fc.integer({ min: 0, max: 730 });
const isoDate = (day: number): string => new Date(EPOCH + day * DAY_MS).toISOString().slice(0, 10);
const date = dayOffset.map(isoDate);
/** A term or trial: it ends after it starts (the HTTP edge refuses anything else with 400). */
const period = fc
  .tuple(dayOffset, fc.integer({ min: 1, max: 400 }))
  .map(([start, length]) => ({ from: isoDate(start), to: isoDate(start + length) }));

/** An instant written with one of several offsets, so ordering must go by instant, not by string. */
const instant = fc
  .tuple(fc.integer({ min: 0, max: 730 * 24 }), fc.constantFrom(0, 120, -300))
  .map(([hour, offsetMinutes]) => {
    const local = new Date(EPOCH + hour * 3_600_000 + offsetMinutes * 60_000).toISOString().slice(0, 19);
    if (offsetMinutes === 0) return `${local}Z`;
    const sign = offsetMinutes > 0 ? '+' : '-';
    const abs = Math.abs(offsetMinutes);
    return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  });

const subscriptionId = fc.constantFrom('sub-a', 'sub-b');
const paidPlan = fc.constantFrom('premium', 'ultimate');
const trialPlan = fc.constantFrom('ultimate_trial', 'premium_trial');
const seats = fc.integer({ min: 0, max: 30 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const header = fc.record({ eventId: fc.uuid(), occurredAt: instant });

const command: fc.Arbitrary<LifecycleCommand> = fc.oneof(
  fc
    .tuple(header, subscriptionId, paidPlan, seats, period, maybe(fc.boolean()), maybe(date))
    .map(([h, sub, plan, n, term, autoRenew, nrd]): LifecycleCommand => ({
      ...h,
      type: 'created',
      subscriptionId: sub,
      namespaceId: NS,
      planCode: plan,
      seats: n,
      startDate: term.from,
      endDate: term.to,
      autoRenew,
      nextReconciliationDate: nrd,
    })),
  fc
    .tuple(header, subscriptionId, period, maybe(seats), maybe(paidPlan), maybe(date))
    .map(([h, sub, term, n, plan, nrd]): LifecycleCommand => ({
      ...h,
      type: 'renewed',
      subscriptionId: sub,
      startDate: term.from,
      endDate: term.to,
      seats: n,
      planCode: plan,
      nextReconciliationDate: nrd,
    })),
  fc
    .tuple(header, subscriptionId, maybe(seats), maybe(paidPlan), maybe(date))
    .map(([h, sub, n, plan, nrd]): LifecycleCommand => ({
      ...h,
      type: 'entitlementsUpdated',
      subscriptionId: sub,
      seats: n,
      planCode: plan,
      nextReconciliationDate: nrd,
    })),
  fc
    .tuple(header, subscriptionId, date)
    .map(([h, sub, on]): LifecycleCommand => ({ ...h, type: 'expired', subscriptionId: sub, expiredOn: on })),
  fc.tuple(header, trialPlan, period).map(
    ([h, plan, trial]): LifecycleCommand => ({
      ...h,
      type: 'trialStarted',
      namespaceId: NS,
      planCode: plan,
      trialStartsOn: trial.from,
      trialEndsOn: trial.to,
    }),
  ),
  fc.tuple(header, date).map(([h, on]): LifecycleCommand => ({ ...h, type: 'trialEnded', namespaceId: NS, endedOn: on })),
  // Measurements are the most frequent event in production: weight them up.
  ...Array.from({ length: 3 }, () =>
    fc.tuple(header, fc.integer({ min: 0, max: 40 }), instant).map(
      ([h, n, at]): LifecycleCommand => ({ ...h, type: 'seatUsageReported', namespaceId: NS, seatsInUse: n, measuredAt: at }),
    ),
  ),
);

const commands = fc.array(command, { maxLength: 25 });

const apply = (s: FoldState, c: LifecycleCommand) => applyCommand(s, c, { key: logKey(c) });

/** Folds a sequence (in business order) from a never-seen namespace; a rejected command leaves the state as it was. */
function run(sequence: readonly LifecycleCommand[]): FoldState {
  return [...sequence]
    .sort((a, b) => (logKey(a) < logKey(b) ? -1 : 1))
    .reduce((s, c) => {
      const result = apply(s, c);
      return result.ok ? result.state : s;
    }, emptyState(NS));
}

/** Any state the rules can reach. */
const reachableState = commands.map(run);

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------

describe('Properties: applyCommand', () => {
  it('(a) never owes negative seats, and seatsOwed always matches its definition', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        const s = run(sequence);
        expect(s.seatsOwed).toBeGreaterThanOrEqual(0);
        expect(s.seatsOwed).toBe(seatsOwed(s));
        if (s.trial || s.status !== 'active') expect(s.seatsOwed).toBe(0);
        expect(s.planCode === 'free').toBe(!s.trial && s.status !== 'active');
      }),
      RUNS,
    );
  });

  it('(b) never mutates its input, is deterministic, and leaves version and updatedAt to the writer', () => {
    fc.assert(
      fc.property(reachableState, command, (before, c) => {
        const snapshot = structuredClone(before);
        deepFreeze(before);
        const first = apply(before, c);
        const second = apply(before, c);
        expect(before).toEqual(snapshot);
        expect(first).toEqual(second);
        if (first.ok) expect([first.state.version, first.state.updatedAt]).toEqual([before.version, before.updatedAt]);
      }),
      RUNS,
    );
  });

  it('(c) a measurement that counts never leaves the term’s measured peak below it; one that does not count leaves the peak alone', () => {
    fc.assert(
      fc.property(reachableState, fc.integer({ min: 0, max: 40 }), instant, (s, n, at) => {
        const result = apply(s, { type: 'seatUsageReported', eventId: 'm', occurredAt: at, namespaceId: NS, seatsInUse: n, measuredAt: at });
        if (!result.ok) throw new Error('a measurement is never refused');
        const after = result.state;
        expect(after.seatsInUse).toBe(n);
        if (countsTowardPeak(s, at)) {
          expect(after.maxSeatsUsed).toBeGreaterThanOrEqual(n);
          if (s.fold.peakMeasured) expect(after.maxSeatsUsed).toBe(Math.max(s.maxSeatsUsed, n));
          expect(after.fold.peakMeasured).toBe(true);
        } else {
          expect([after.maxSeatsUsed, after.maxSeatsUsedChangedAt]).toEqual([s.maxSeatsUsed, s.maxSeatsUsedChangedAt]);
        }
      }),
      RUNS,
    );
  });

  it('(d) a rejected command yields a known code and a message, and the state stays as it was', () => {
    let rejections = 0;
    fc.assert(
      fc.property(reachableState, command, (s, c) => {
        const snapshot = structuredClone(s);
        const result = apply(s, c);
        if (!result.ok) {
          rejections++;
          expect(REJECTION_CODES).toContain(result.rejection.code);
          expect(result.rejection.message.trim().length).toBeGreaterThan(0);
          expect(s).toEqual(snapshot);
        }
      }),
      RUNS,
    );
    expect(rejections).toBeGreaterThan(0);
  });
});
