/**
 * The cases of issue 16 that the rules got wrong before the log: each delivered in EVERY order
 * (and with a redelivery), through the executor's `receive` over a log kept in memory. A
 * subscription-addressed command that arrives before its subscription exists is delivered again
 * at the end (the bus retries a 404). All times UTC.
 */
import { describe, expect, it } from 'vitest';
import { MAX_REFOLD, logKey } from '../../../shared/lifecycle/domain/log.js';
import type { FoldState, LifecycleCommand } from '../../../shared/lifecycle/domain/types.js';
import { upgradeLegacyState } from '../../../shared/lifecycle/domain/upgrade.js';
import { emptyState } from '../../../shared/lifecycle/domain/rules.js';
import { MemoryLog } from './memory-log.js';

const NS = 7;
const SUB = 'A-S0001';

let n = 0;
const cmd = <T extends LifecycleCommand['type']>(type: T, fields: Record<string, unknown>): LifecycleCommand =>
  ({ type, eventId: `${type}-${++n}`, occurredAt: '2025-01-01T00:00:00Z', ...fields }) as unknown as LifecycleCommand;
const created = (startDate: string, endDate: string, seats: number, occurredAt = `${startDate}T08:00:00Z`) =>
  cmd('created', { subscriptionId: SUB, namespaceId: NS, planCode: 'premium', seats, startDate, endDate, occurredAt });
const renewed = (startDate: string, endDate: string, seats: number | undefined, occurredAt = `${startDate}T08:00:00Z`) =>
  cmd('renewed', { subscriptionId: SUB, startDate, endDate, occurredAt, ...(seats === undefined ? {} : { seats }) });
const usage = (seatsInUse: number, measuredAt: string) => cmd('seatUsageReported', { namespaceId: NS, seatsInUse, measuredAt, occurredAt: measuredAt });
const entitlements = (occurredAt: string, fields: Record<string, unknown>) => cmd('entitlementsUpdated', { subscriptionId: SUB, occurredAt, ...fields });
const expired = (expiredOn: string, occurredAt = `${expiredOn}T12:00:00Z`) => cmd('expired', { subscriptionId: SUB, expiredOn, occurredAt });
const trialStarted = (trialStartsOn: string, trialEndsOn: string) =>
  cmd('trialStarted', { namespaceId: NS, planCode: 'ultimate_trial', trialStartsOn, trialEndsOn, occurredAt: `${trialStartsOn}T06:00:00Z` });
const trialEnded = (endedOn: string) => cmd('trialEnded', { namespaceId: NS, endedOn, occurredAt: `${endedOn}T23:00:00Z` });

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

const bySubscription = (c: LifecycleCommand) => c.type === 'renewed' || c.type === 'entitlementsUpdated' || c.type === 'expired';

async function deliver(sequence: readonly LifecycleCommand[], log = new MemoryLog(NS)): Promise<FoldState> {
  const queue = [...sequence];
  for (let i = 0; i < queue.length; i++) {
    const c = queue[i]!;
    if (bySubscription(c) && log.head.state.subscriptionId !== SUB) queue.push(c);
    else await log.deliver(c);
  }
  return log.head.state;
}

/** Delivers the events in every order, plus each order with its first event again at the end; all must agree. */
async function inEveryOrder(events: readonly LifecycleCommand[]): Promise<FoldState> {
  const states: FoldState[] = [];
  for (const order of permutations(events)) {
    states.push(await deliver(order), await deliver([...order, order[0]!]));
  }
  const [first, ...rest] = states.map(({ version: _v, updatedAt: _u, ...s }) => s);
  for (const s of rest) expect(s).toEqual(first);
  return states[0]!;
}

describe('Issue 16: the same events give the same bill, in any order', () => {
  it('1. an old-term measurement after a renewal counts toward the previous term', async () => {
    const s = await inEveryOrder([
      created('2025-06-01', '2026-06-01', 10, '2025-06-01T00:00:00Z'),
      usage(8, '2026-05-30T00:00:00Z'),
      renewed('2026-06-01', '2027-06-01', 10, '2026-06-01T00:00:00Z'),
      usage(16, '2026-05-31T00:00:00Z'),
      usage(9, '2026-06-02T00:00:00Z'),
    ]);
    expect(s).toMatchObject({ maxSeatsUsed: 9, seatsOwed: 0, seatsInUse: 9 });
    expect(s.previousTerm).toMatchObject({ startDate: '2025-06-01', maxSeatsUsed: 16, seatsOwed: 6 });
  });

  it('2. an early renewal: what is measured before its start belongs to the current term', async () => {
    const s = await inEveryOrder([
      created('2025-06-01', '2026-06-01', 10),
      renewed('2026-06-01', '2027-06-01', 10, '2026-05-15T00:00:00Z'),
      usage(15, '2026-05-20T00:00:00Z'),
      usage(9, '2026-06-02T00:00:00Z'),
    ]);
    expect(s).toMatchObject({ startDate: '2026-06-01', maxSeatsUsed: 9, seatsOwed: 0 });
    expect(s.previousTerm).toMatchObject({ maxSeatsUsed: 15, seatsOwed: 5 });
  });

  it('3. a renewal arriving after its own term’s measurements still counts them', async () => {
    const s = await inEveryOrder([
      created('2025-01-01', '2026-01-01', 10),
      renewed('2026-01-01', '2027-01-01', 10, '2025-12-15T00:00:00Z'),
      usage(14, '2026-01-10T00:00:00Z'),
      usage(9, '2026-02-01T00:00:00Z'),
    ]);
    expect(s).toMatchObject({ startDate: '2026-01-01', maxSeatsUsed: 14, seatsOwed: 4 });
  });

  it('4. a trial arriving after measurements taken during it: they do not count', async () => {
    const s = await inEveryOrder([
      created('2025-06-01', '2026-06-01', 10),
      usage(20, '2025-09-10T00:00:00Z'),
      usage(8, '2025-10-05T00:00:00Z'),
      trialStarted('2025-09-01', '2025-09-30'),
      trialEnded('2025-09-30'),
    ]);
    expect(s).toMatchObject({ maxSeatsUsed: 8, seatsOwed: 0, trial: false, trialStartsOn: '2025-09-01', trialEndsOn: '2025-09-30' });
  });

  it('4b. the same with fewer seats: the trial-day 20 is never billed, the 8 is', async () => {
    const s = await inEveryOrder([
      created('2025-06-01', '2026-06-01', 5),
      usage(20, '2025-09-10T00:00:00Z'),
      usage(8, '2025-10-05T00:00:00Z'),
      trialStarted('2025-09-01', '2025-09-30'),
      trialEnded('2025-09-30'),
    ]);
    expect(s).toMatchObject({ maxSeatsUsed: 8, seatsOwed: 3 });
  });

  it('5. out-of-order entitlements: the newer update wins, different fields both stay', async () => {
    const s = await inEveryOrder([
      created('2025-01-01', '2026-01-01', 10),
      entitlements('2025-02-01T00:00:00Z', { seats: 15 }),
      entitlements('2025-01-15T00:00:00Z', { seats: 12, autoRenew: true }),
      entitlements('2025-03-01T00:00:00Z', { nextReconciliationDate: '2025-07-01' }),
    ]);
    expect(s).toMatchObject({ seats: 15, autoRenew: true, nextReconciliationDate: '2025-07-01' });
  });

  it('5b. an update dated after a renewal the service has not heard of yet applies to the renewed term', async () => {
    const s = await inEveryOrder([
      created('2025-01-01', '2026-01-01', 10),
      renewed('2026-01-01', '2027-01-01', 10, '2025-12-20T00:00:00Z'),
      entitlements('2026-02-01T00:00:00Z', { seats: 20 }),
    ]);
    expect(s).toMatchObject({ startDate: '2026-01-01', seats: 20 });
    expect(s.previousTerm).toMatchObject({ seats: 10 });
  });

  it('6. a late expiry dated on the renewed term’s start ends the earlier term, never the renewed one', async () => {
    const s = await inEveryOrder([
      created('2025-01-01', '2026-01-01', 10),
      renewed('2026-01-01', '2027-01-01', 10, '2025-12-15T00:00:00Z'),
      expired('2026-01-01', '2026-01-03T00:00:00Z'),
    ]);
    expect(s).toMatchObject({ status: 'active', startDate: '2026-01-01', planCode: 'premium', expiredOn: null });
  });

  it('6b. an expiry then a renewal after a lapse: active on the renewed term, in any order', async () => {
    const s = await inEveryOrder([
      created('2025-01-01', '2026-01-01', 10),
      expired('2026-01-01'),
      renewed('2026-02-15', '2027-02-15', 10, '2026-02-15T10:00:00Z'),
      usage(12, '2026-01-20T00:00:00Z'),
    ]);
    expect(s).toMatchObject({ status: 'active', planCode: 'premium', startDate: '2026-02-15', expiredOn: null, maxSeatsUsed: 12, maxSeatsUsedChangedAt: '2026-02-15T00:00:00Z' });
    expect(s.previousTerm).toMatchObject({ expiredOn: '2026-01-01' });
  });

  it('8. measurements out of order within a term: every one counts, seatsInUse is the newest, equal instants go by eventId', async () => {
    const a = { ...usage(11, '2025-03-01T00:00:00Z'), eventId: 'm-a' } as LifecycleCommand;
    const b = { ...usage(4, '2025-03-01T00:00:00Z'), eventId: 'm-b' } as LifecycleCommand;
    const s = await inEveryOrder([created('2025-01-01', '2026-01-01', 10), usage(17, '2025-02-01T00:00:00Z'), a, b]);
    expect(s).toMatchObject({ maxSeatsUsed: 17, maxSeatsUsedChangedAt: '2025-02-01T00:00:00Z', seatsInUse: 4, seatsOwed: 7 });
  });

  it('9. a command re-sent after its idempotency record expired changes nothing: the log holds it, or it is stale', async () => {
    const log = new MemoryLog(NS);
    const first = created('2025-01-01', '2026-01-01', 10);
    const trial = trialStarted('2025-03-01', '2025-03-30');
    const update = entitlements('2025-04-01T00:00:00Z', { seats: 12 });
    for (const c of [first, trial, update, usage(9, '2025-05-01T00:00:00Z')]) await log.deliver(c);
    const before = log.head.state;

    for (const again of [first, trial, update]) expect((await log.deliver(again)).kind).toBe('duplicate');
    expect(log.head.state).toEqual(before);

    // Two terms later the first term is older than the log keeps: stale.
    await log.deliver(renewed('2026-01-01', '2027-01-01', undefined));
    await log.deliver(renewed('2027-01-01', '2028-01-01', undefined));
    const receipt = await log.deliver(update);
    expect(receipt).toMatchObject({ kind: 'stale', reason: 'before_floor' });
  });
});

describe('The log', () => {
  it('keeps back to the previous term’s start and prunes what is older', async () => {
    const log = new MemoryLog(NS);
    for (const c of [created('2025-01-01', '2026-01-01', 10), usage(5, '2025-02-01T00:00:00Z'), renewed('2026-01-01', '2027-01-01', undefined), usage(6, '2026-02-01T00:00:00Z')]) {
      await log.deliver(c);
    }
    expect(log.prune()).toBe(0);
    await log.deliver(renewed('2027-01-01', '2028-01-01', undefined));
    expect(log.prune()).toBe(2);
    expect([...log.entries.keys()].every((k) => k >= log.head.state.fold.previousTermKey!)).toBe(true);
    // Still accepted: a measurement of the previous term.
    expect((await log.deliver(usage(7, '2026-03-01T00:00:00Z'))).kind).toBe('folded');
    expect(log.head.state.previousTerm).toMatchObject({ maxSeatsUsed: 7 });
  });

  it(`refuses as stale a command that would fold more than ${MAX_REFOLD} later entries again`, async () => {
    const log = new MemoryLog(NS);
    await log.deliver(created('2025-01-01', '2026-01-01', 10));
    for (let day = 0; day <= MAX_REFOLD; day++) await log.deliver(usage(day % 7, new Date(Date.parse('2025-02-01T00:00:00Z') + day * 86_400_000).toISOString()));
    expect(await log.deliver(usage(40, '2025-01-15T00:00:00Z'))).toMatchObject({ kind: 'stale', reason: 'too_late' });
    expect(await log.deliver(usage(40, '2025-02-15T12:00:00Z'))).toMatchObject({ kind: 'folded', late: true });
  });

  it('reads only the entries after a late command’s place, and rewrites only those that changed', async () => {
    const log = new MemoryLog(NS);
    for (const c of [created('2025-01-01', '2026-01-01', 10), usage(5, '2025-02-01T00:00:00Z'), usage(6, '2025-03-01T00:00:00Z'), entitlements('2025-04-01T00:00:00Z', { autoRenew: true })]) {
      await log.deliver(c);
    }
    log.reads = 0;
    const receipt = await log.deliver(usage(3, '2025-03-15T00:00:00Z'));
    expect(receipt).toMatchObject({ kind: 'folded', late: true, refolded: 1 });
    expect(log.reads).toBe(2);
    if (receipt.kind === 'folded') expect(receipt.fold.rewritten.map((e) => e.command?.type)).toEqual(['entitlementsUpdated']);
  });

  it('starts from a state stored before the log existed, as its base', async () => {
    const legacy = {
      ...emptyState(NS),
      subscriptionId: SUB,
      planCode: 'premium',
      paidPlanCode: 'premium',
      seats: 10,
      seatsInUse: 12,
      maxSeatsUsed: 14,
      maxSeatsUsedChangedAt: '2025-03-01T00:00:00Z',
      seatsOwed: 4,
      startDate: '2025-01-01',
      endDate: '2026-01-01',
      status: 'active' as const,
      lastMeasuredAt: '2025-04-01T00:00:00Z',
      version: 9,
      updatedAt: '2025-04-01T00:00:05Z',
    };
    const { fold: _fold, expiredOn: _e, previousTerm: _p, ...stored } = legacy;
    const upgraded = upgradeLegacyState({ ...stored } as never);
    expect(upgraded.baseKey).toBe('2025-04-01T00:00:00.000Z#9#2025-04-01T00:00:00.000Z#~upgrade');
    expect(upgraded.state.fold).toMatchObject({ peakMeasured: true, previousTermKey: null });

    const log = new MemoryLog(NS, upgraded);
    expect(await log.deliver(usage(30, '2025-03-15T00:00:00Z'))).toMatchObject({ kind: 'stale' });
    await log.deliver(usage(16, '2025-05-01T00:00:00Z'));
    await log.deliver(usage(2, '2025-04-15T00:00:00Z'));
    expect(log.head.state).toMatchObject({ maxSeatsUsed: 16, seatsInUse: 16, seatsOwed: 6 });
    expect(logKey(usage(1, '2025-04-01T00:00:00Z')) < upgraded.baseKey).toBe(true);
  });
});
