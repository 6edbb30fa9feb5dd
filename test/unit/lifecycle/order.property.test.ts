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
import { NS, SUB, at, scenario } from './histories.js';
import { MemoryLog } from './memory-log.js';

const RUNS = 2_000;

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
