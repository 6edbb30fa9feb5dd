/**
 * The product's core promise, as a model-based property: for one subscription on one namespace, the
 * same set of events gives the same state whatever order they arrive in and however often each
 * arrives — the state that delivering them sorted by business time gives. Histories are generated
 * for one subscription (terms, early and late renewals, expiries, trials, entitlements updates,
 * measurements), delivered in random permutations with random redeliveries through the executor's
 * own `receive` over a log kept in memory. A subscription-addressed command that arrives before its
 * subscription exists is refused (404) and delivered again later, as the bus's retries would.
 * After every delivery the state must satisfy the seat-statistics invariants of DESIGN.md.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logKey, sameState } from '../../../shared/lifecycle/domain/log.js';
import { addDays, seatsOwed } from '../../../shared/lifecycle/domain/rules.js';
import type { FoldState, LifecycleCommand } from '../../../shared/lifecycle/domain/types.js';
import { MemoryLog } from './memory-log.js';

const NS = 42;
const SUB = 'A-S1';
const DAY0 = '2025-01-01';
const RUNS = 2_000;

const day = (offset: number) => addDays(DAY0, offset);
const at = (dayOffset: number, hour = 0) => new Date(Date.parse(`${day(dayOffset)}T00:00:00Z`) + hour * 3_600_000).toISOString();

// ---------------------------------------------------------------------------------------------
// Histories of one subscription
// ---------------------------------------------------------------------------------------------

interface History {
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

const history: fc.Arbitrary<History> = fc
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
      }),
      { nil: undefined, freq: 2 },
    ),
    measurements: fc.array(
      fc.record({ hour: fc.integer({ min: 0, max: 500 * 24 }), seats: fc.integer({ min: 0, max: 25 }), sameAsPrevious: fc.boolean() }),
      { maxLength: 12 },
    ),
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
const delivery = (h: History) =>
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

const scenario = history.chain((h) => delivery(h).map((sequence) => ({ h, sequence })));

// ---------------------------------------------------------------------------------------------
// Delivery, as a retrying caller or the bus's retries do it
// ---------------------------------------------------------------------------------------------

const bySubscription = (c: LifecycleCommand) => c.type === 'renewed' || c.type === 'entitlementsUpdated' || c.type === 'expired';

/** Delivers in order; a subscription-addressed command before its subscription exists (404) comes again at the end. */
async function deliverAll(sequence: readonly LifecycleCommand[], afterEach?: (log: MemoryLog) => void): Promise<MemoryLog> {
  const log = new MemoryLog(NS);
  const queue = [...sequence];
  for (let i = 0; i < queue.length; i++) {
    const command = queue[i]!;
    if (bySubscription(command) && log.head.state.subscriptionId !== SUB) {
      queue.push(command);
      continue;
    }
    await log.deliver(command);
    afterEach?.(log);
  }
  return log;
}

/** The reference: every distinct command once, sorted by its place in the log. */
const sorted = (commands: readonly LifecycleCommand[]) => [...commands].sort((a, b) => (logKey(a) < logKey(b) ? -1 : 1));

// ---------------------------------------------------------------------------------------------
// Invariants of DESIGN.md's seat statistics, checked after every delivery
// ---------------------------------------------------------------------------------------------

function checkInvariants(state: FoldState, received: readonly LifecycleCommand[]): void {
  expect(state.seatsOwed).toBe(seatsOwed(state));
  if (state.startDate === null || state.endDate === null) return;
  const start = Date.parse(`${state.startDate}T00:00:00Z`);
  const end = Math.min(Date.parse(`${state.endDate}T00:00:00Z`), state.expiredOn ? Date.parse(`${state.expiredOn}T00:00:00Z`) : Infinity);
  // The peak's date lies within its term, or is its start (the value carried in).
  if (state.maxSeatsUsedChangedAt !== null) {
    const peakAt = Date.parse(state.maxSeatsUsedChangedAt);
    expect(peakAt >= start && (peakAt < end || peakAt === start), `peak at ${state.maxSeatsUsedChangedAt} outside ${state.startDate}..${state.endDate}`).toBe(true);
  }
  // The peak is at least every counted measurement of its term: within the term and not on a day of
  // the trial (from its start until its end or the day before a paid term starting during it).
  const trial = received.find((c) => c.type === 'trialStarted');
  const trialFirst = trial?.type === 'trialStarted' ? trial.trialStartsOn : null;
  let trialLast = '9999-12-31';
  if (trialFirst) {
    const end = received.find((c) => c.type === 'trialEnded' && c.endedOn >= trialFirst);
    if (end?.type === 'trialEnded') trialLast = end.endedOn;
    for (const c of received) {
      if ((c.type === 'created' || c.type === 'renewed') && c.startDate > trialFirst && addDays(c.startDate, -1) < trialLast) trialLast = addDays(c.startDate, -1);
    }
  }
  const counted = received.filter((c): c is Extract<LifecycleCommand, { type: 'seatUsageReported' }> => {
    if (c.type !== 'seatUsageReported') return false;
    const t = Date.parse(c.measuredAt);
    const d = c.measuredAt.slice(0, 10);
    return t >= start && t < end && !(trialFirst !== null && d >= trialFirst && d <= trialLast);
  });
  for (const m of counted) expect(state.maxSeatsUsed, `peak below ${m.seatsInUse} measured ${m.measuredAt}`).toBeGreaterThanOrEqual(m.seatsInUse);
  if (counted.length > 0 && state.fold.peakMeasured) expect(state.maxSeatsUsed).toBe(Math.max(...counted.map((m) => m.seatsInUse)));
}

// ---------------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------------

describe('Property: the same events give the same state in any order', () => {
  it(`holds for ${RUNS} histories of one subscription, each in a random order with redeliveries`, async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ h, sequence }) => {
        const expected = await deliverAll(sorted(h.commands));
        const received: LifecycleCommand[] = [];
        const actual = await deliverAll(sequence, (log) => {
          received.length = 0;
          for (const entry of log.entries.values()) if (entry.rejection === null && entry.command) received.push(entry.command);
          checkInvariants(log.head.state, received);
        });
        expect(sameState(actual.head.state, expected.head.state), 'final state differs from sorted delivery').toBe(true);
        expect(actual.head.state).toEqual({ ...expected.head.state, version: actual.head.state.version, updatedAt: actual.head.state.updatedAt });
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('generates each case the issue names in at least 5% of histories (fast-check statistics)', () => {
    const shares: Record<string, number> = {};
    fc.statistics(
      scenario,
      ({ h, sequence }) => {
        const labels: string[] = [];
        const { facts } = h;
        const renewal = h.commands.find((c) => c.type === 'renewed');
        if (renewal) {
          const renewalAt = sequence.indexOf(renewal);
          const lateTermMeasurement = sequence.findIndex(
            (c) => c.type === 'seatUsageReported' && c.measuredAt >= at(facts.termEnd) && c.measuredAt < at(facts.renewal!.start + 400),
          );
          if (lateTermMeasurement !== -1 && lateTermMeasurement < renewalAt) labels.push('measurement after the term end before its renewal arrives');
        }
        if (facts.trial && h.commands.some((c) => c.type === 'seatUsageReported' && c.measuredAt >= at(facts.trial!.from) && c.measuredAt < at(facts.trial!.to + 1))) {
          labels.push('trial overlapping the paid term with measurements inside');
        }
        if (facts.secondRenewal) labels.push('two renewals with the same startDate');
        if (new Set(facts.entitlementFieldSets).size >= 2) labels.push('entitlements updates with different fields');
        if (facts.equalMeasuredAt) labels.push('equal measuredAt');
        if (facts.expiry && facts.renewal) labels.push('an expiry followed by a renewal');
        if (
          facts.renewal &&
          facts.renewal.occurred < facts.renewal.start &&
          h.commands.some((c) => c.type === 'entitlementsUpdated' && c.occurredAt > at(facts.renewal!.occurred) && c.occurredAt < at(facts.renewal!.start))
        ) {
          labels.push('an entitlements update after an early renewal');
        }
        return labels.length ? labels : ['none of the named cases'];
      },
      {
        numRuns: 4_000,
        seed: 20261129,
        logger: (line) => {
          const match = /^(.*?)\.+([\d.]+)%$/.exec(line.trim());
          if (match) shares[match[1]!.trim()] = Number(match[2]);
        },
      },
    );
    for (const label of [
      'measurement after the term end before its renewal arrives',
      'trial overlapping the paid term with measurements inside',
      'two renewals with the same startDate',
      'entitlements updates with different fields',
      'equal measuredAt',
      'an expiry followed by a renewal',
      'an entitlements update after an early renewal',
    ]) {
      expect(shares[label] ?? 0, `${label}: ${JSON.stringify(shares)}`).toBeGreaterThanOrEqual(5);
    }
  });
});
