/**
 * Histories of one subscription on one namespace, for the order properties (the unit property over
 * a log kept in memory, and the smaller run through the service on DynamoDB Local): a term, early
 * and late renewals (two with the same start now and then), expiries, trials with measurements
 * inside, entitlements updates, measurements (some at the same instant), all dated in the past.
 * With a renewal nothing is dated before the first term's start: the log keeps back to the
 * previous term's start, and the order guarantee covers what the log keeps.
 */
import fc from 'fast-check';
import { addDays } from '../../../shared/lifecycle/domain/rules.js';
import type { LifecycleCommand } from '../../../shared/lifecycle/domain/types.js';

export const NS = 42;
export const SUB = 'A-S1';
const DAY0 = '2025-01-01';

export const day = (offset: number) => addDays(DAY0, offset);
export const at = (dayOffset: number, hour = 0) => new Date(Date.parse(`${day(dayOffset)}T00:00:00Z`) + hour * 3_600_000).toISOString();

// ---------------------------------------------------------------------------------------------
// Histories of one subscription
// ---------------------------------------------------------------------------------------------

export interface History {
  commands: LifecycleCommand[];
  /** Facts the statistics classify by. */
  facts: {
    termEnd: number;
    renewal?: { start: number; occurred: number };
    secondRenewal: boolean;
    expiry: boolean;
    trial?: { from: number; to: number };
    equalMeasuredAt: boolean;
    entitlementFieldSets: string[];
  };
}

let serial = 0;
const id = (prefix: string) => `${prefix}-${(serial++).toString(36)}`;

export const history: fc.Arbitrary<History> = fc
  .record({
    start: fc.integer({ min: 0, max: 20 }),
    length: fc.constantFrom(60, 90, 365),
    createdLead: fc.integer({ min: -10, max: 15 }),
    seats: fc.integer({ min: 0, max: 15 }),
    plan: fc.constantFrom('premium', 'ultimate'),
    autoRenew: fc.boolean(),
    renewal: fc.option(
      fc.record({
        lapse: fc.constantFrom(0, 0, 0, 20),
        length: fc.constantFrom(60, 365),
        lead: fc.integer({ min: -15, max: 20 }),
        seats: fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined }),
        second: fc.option(fc.record({ delay: fc.integer({ min: 1, max: 5 }), seats: fc.integer({ min: 0, max: 15 }) }), { nil: undefined, freq: 4 }),
      }),
      { nil: undefined, freq: 3 },
    ),
    expiry: fc.option(fc.record({ early: fc.constantFrom(0, 0, 10), delay: fc.integer({ min: 0, max: 3 }) }), { nil: undefined, freq: 3 }),
    trial: fc.option(
      fc.record({
        offset: fc.integer({ min: 0, max: 50 }),
        length: fc.integer({ min: 7, max: 30 }),
        end: fc.option(fc.integer({ min: 0, max: 35 }), { nil: undefined, freq: 4 }),
        plan: fc.constantFrom('ultimate_trial', 'premium_trial'),
        inside: fc.array(fc.record({ hour: fc.integer({ min: 0, max: 30 * 24 }), seats: fc.integer({ min: 0, max: 30 }) }), { maxLength: 2 }),
        extension: fc.option(fc.record({ after: fc.integer({ min: 1, max: 20 }), by: fc.integer({ min: -10, max: 30 }) }), { nil: undefined }),
      }),
      { nil: undefined, freq: 2 },
    ),
    measurements: fc.array(
      fc.record({ hour: fc.integer({ min: 0, max: 500 * 24 }), seats: fc.integer({ min: 0, max: 25 }), sameAsPrevious: fc.boolean() }),
      { maxLength: 12 },
    ),
    reconciliations: fc.array(fc.record({ day: fc.integer({ min: 1, max: 450 }), seats: fc.integer({ min: 1, max: 5 }), previous: fc.boolean() }), { maxLength: 2 }),
    entitlements: fc.array(
      fc.record({
        day: fc.integer({ min: 0, max: 480 }),
        seats: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
        planCode: fc.option(fc.constantFrom('premium', 'ultimate'), { nil: undefined }),
        autoRenew: fc.option(fc.boolean(), { nil: undefined }),
        nextReconciliationDate: fc.option(fc.integer({ min: 0, max: 480 }).map(day), { nil: undefined }),
        /** Dated between an early renewal and its start, when there is one. */
        beforeRenewalStart: fc.boolean(),
      }),
      { maxLength: 3 },
    ),
  })
  .map((h): History => {
    const commands: LifecycleCommand[] = [];
    const termEnd = h.start + h.length;
    commands.push({
      type: 'created',
      eventId: id('created'),
      occurredAt: at(h.start + h.createdLead, 9),
      subscriptionId: SUB,
      namespaceId: NS,
      planCode: h.plan,
      seats: h.seats,
      startDate: day(h.start),
      endDate: day(termEnd),
      autoRenew: h.autoRenew,
    });
    const facts: History['facts'] = { termEnd, secondRenewal: false, expiry: false, equalMeasuredAt: false, entitlementFieldSets: [] };
    // With a renewal, the log keeps back to the created's start: nothing is dated before it.
    const earliest = h.renewal ? h.start : h.start - 15;
    if (h.renewal) {
      const start = termEnd + h.renewal.lapse;
      facts.renewal = { start, occurred: start + h.renewal.lead };
      commands.push({
        type: 'renewed',
        eventId: id('renewed'),
        occurredAt: at(start + h.renewal.lead, 10),
        subscriptionId: SUB,
        startDate: day(start),
        endDate: day(start + h.renewal.length),
        ...(h.renewal.seats === undefined ? {} : { seats: h.renewal.seats }),
      });
      if (h.renewal.second) {
        facts.secondRenewal = true;
        commands.push({
          type: 'renewed',
          eventId: id('renewed'),
          occurredAt: at(start + h.renewal.lead + h.renewal.second.delay, 11),
          subscriptionId: SUB,
          startDate: day(start),
          endDate: day(start + h.renewal.length + 30),
          seats: h.renewal.second.seats,
        });
      }
    }
    if (h.expiry) {
      facts.expiry = true;
      const expiredOn = termEnd - h.expiry.early;
      commands.push({ type: 'expired', eventId: id('expired'), occurredAt: at(expiredOn + h.expiry.delay, 8), subscriptionId: SUB, expiredOn: day(expiredOn) });
    }
    if (h.trial) {
      const from = Math.max(earliest, h.start + h.trial.offset - 20);
      const to = from + h.trial.length;
      facts.trial = { from, to };
      commands.push({ type: 'trialStarted', eventId: id('trial'), occurredAt: at(from, 7), namespaceId: NS, planCode: h.trial.plan, trialStartsOn: day(from), trialEndsOn: day(to) });
      if (h.trial.end !== undefined) {
        const endedOn = from + h.trial.end;
        facts.trial.to = Math.min(to, endedOn);
        commands.push({ type: 'trialEnded', eventId: id('trial-end'), occurredAt: at(endedOn, 20), namespaceId: NS, endedOn: day(endedOn) });
      }
      if (h.trial.extension) {
        const when = from + h.trial.extension.after;
        commands.push({ type: 'trialExtended', eventId: id('trial-ext'), occurredAt: at(when, 15), namespaceId: NS, trialEndsOn: day(to + h.trial.extension.by) });
      }
      for (const m of h.trial.inside) {
        const measuredAt = at(from, m.hour % ((to - from + 1) * 24));
        commands.push({ type: 'seatUsageReported', eventId: id('usage'), occurredAt: measuredAt, namespaceId: NS, seatsInUse: m.seats, measuredAt });
      }
    }
    let previous: string | undefined;
    for (const m of h.measurements) {
      const measuredAt = m.sameAsPrevious && previous ? previous : at(earliest, m.hour);
      if (measuredAt === previous) facts.equalMeasuredAt = true;
      previous = measuredAt;
      commands.push({ type: 'seatUsageReported', eventId: id('usage'), occurredAt: measuredAt, namespaceId: NS, seatsInUse: m.seats, measuredAt });
    }
    for (const r of h.reconciliations) {
      // For the first term, or (when there is one) the renewed term: a reconciliation of either.
      const termStart = r.previous || !facts.renewal ? h.start : facts.renewal.start;
      commands.push({ type: 'reconciliationCompleted', eventId: id('reconciled'), occurredAt: at(Math.max(termStart, h.start + r.day), 16), subscriptionId: SUB, termStartDate: day(termStart), seatsBilled: r.seats });
    }
    for (const e of h.entitlements) {
      const fields = Object.fromEntries(Object.entries({ seats: e.seats, planCode: e.planCode, autoRenew: e.autoRenew, nextReconciliationDate: e.nextReconciliationDate }).filter(([, v]) => v !== undefined));
      if (Object.keys(fields).length === 0) continue;
      facts.entitlementFieldSets.push(Object.keys(fields).sort().join(','));
      const r = facts.renewal;
      const when = e.beforeRenewalStart && r && r.occurred < r.start ? r.occurred + (e.day % (r.start - r.occurred)) : Math.max(earliest, h.start + e.day - 30);
      commands.push({ type: 'entitlementsUpdated', eventId: id('entitlements'), occurredAt: at(when, 12), subscriptionId: SUB, ...fields });
    }
    return { commands, facts };
  });

/** A delivery: every command at least once, in any order, some more than once. */
export const delivery = (h: History) =>
  fc
    .tuple(
      fc.shuffledSubarray(h.commands, { minLength: h.commands.length, maxLength: h.commands.length }),
      fc.array(fc.tuple(fc.nat(h.commands.length - 1), fc.nat(3 * h.commands.length)), { maxLength: 4 }),
    )
    .map(([order, repeats]) => {
      const sequence = [...order];
      for (const [which, where] of repeats) sequence.splice(where % (sequence.length + 1), 0, h.commands[which]!);
      return sequence;
    });

export const scenario = history.chain((h) => delivery(h).map((sequence) => ({ h, sequence })));
