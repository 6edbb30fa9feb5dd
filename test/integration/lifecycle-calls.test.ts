/**
 * DynamoDB calls per lifecycle command, on DynamoDB Local: every command type applied in order
 * costs one BatchGetItem and one TransactWriteItems — a command addressed by subscription too,
 * with nothing learnt before (the process keeps no hints: the pointer carries a copy of the state
 * item) — and a replay one BatchGetItem. A copy behind its state (left by a writer that did not keep
 * it in step) costs a refused transaction and a second read, never a wrong state; a pointer
 * written before copies costs one GetItem, once.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { countDynamoDbCalls } from '../../bench/count-calls.js';
import type { CallCounter } from '../../bench/count-calls.js';
import { executeCommand } from '../../shared/lifecycle/execute.js';
import { readState, subKey } from '../../shared/lifecycle/store.js';
import type { LifecycleCommand, SubscriptionCreated } from '../../shared/lifecycle/domain/types.js';
import { ddb } from '../../shared/platform/dynamodb/client.js';
import { tableName } from '../../shared/platform/tables.js';
import { client, eventId, startTestRuntime } from './helpers.js';

let runtime: Runtime;
let counter: CallCounter;
let nextNamespace = 7000;
/** Only the calls of the command under way: the runtime's stream consumer shares the client. */
const measured = new AsyncLocalStorage<true>();

beforeAll(async () => {
  runtime = await startTestRuntime();
  counter = countDynamoDbCalls(ddb(), { include: () => measured.getStore() === true });
});

afterAll(async () => {
  counter?.detach();
  await runtime?.stop();
});

const at = (day: string) => `${day}T10:00:00Z`;
const actor = 'arn:aws:iam::123456789012:role/portal';

/** Applies `command` alone and answers the calls it made, by operation. */
async function callsOf(command: LifecycleCommand, expectReplay = false): Promise<Record<string, number>> {
  await runtime.settle();
  counter.reset();
  const result = await measured.run(true, () => executeCommand(command, { actor }));
  expect(result.replayed, `${command.type} ${command.eventId} replayed`).toBe(expectReplay);
  return counter.counts().byOperation;
}

const ONE_READ_ONE_WRITE = { BatchGetItem: 1, TransactWriteItems: 1 };

const pointerItem = async (subscriptionId: string) =>
  (await ddb().send(new GetCommand({ TableName: tableName('state'), Key: subKey(subscriptionId), ConsistentRead: true }))).Item!;
const stateItem = async (namespaceId: number) =>
  (await ddb().send(new GetCommand({ TableName: tableName('state'), Key: { pk: `NS#${namespaceId}`, sk: 'STATE' }, ConsistentRead: true }))).Item!;
const put = (item: Record<string, unknown>) => ddb().send(new PutCommand({ TableName: tableName('state'), Item: item }));

/** The pointer's copy equals what a read of the state item answers. */
async function expectCopyInStep(subscriptionId: string, namespaceId: number) {
  const pointer = await pointerItem(subscriptionId);
  const state = await readState(namespaceId);
  expect(pointer.namespaceId).toBe(namespaceId);
  expect(pointer.stateCopy).toMatchObject({ ...state!.state, changedOn: state!.changedOn, logLastKey: state!.log.lastKey, logBaseKey: state!.log.baseKey });
  expect((await stateItem(namespaceId)).pointerCopy).toBe(subscriptionId);
}

const created = (namespaceId: number, subscriptionId: string): SubscriptionCreated => ({
  type: 'created', eventId: eventId('create'), occurredAt: at('2023-12-15'), subscriptionId, namespaceId,
  planCode: 'premium', seats: 10, startDate: '2024-01-01', endDate: '2025-01-01', autoRenew: true,
});
const renewed = (subscriptionId: string, startDate: string, endDate: string): LifecycleCommand => ({
  type: 'renewed', eventId: eventId('renew'), occurredAt: at(startDate), subscriptionId, startDate, endDate, seats: 12,
});
const usage = (namespaceId: number, day: string, seatsInUse: number): LifecycleCommand => ({
  type: 'seatUsageReported', eventId: eventId('usage'), occurredAt: at(day), namespaceId, seatsInUse, measuredAt: at(day),
});

describe('DynamoDB calls per lifecycle command, with nothing learnt before', () => {
  it('applies every command type in order with 1 BatchGetItem + 1 TransactWriteItems, and answers a replay with 1 BatchGetItem', async () => {
    const ns = nextNamespace++;
    const sub = `calls-${ns}`;
    const first = created(ns, sub);
    const sequence: LifecycleCommand[] = [
      first,
      usage(ns, '2024-02-01', 14),
      { type: 'entitlementsUpdated', eventId: eventId('ent'), occurredAt: at('2024-03-01'), subscriptionId: sub, seats: 20, planCode: 'ultimate' },
      { type: 'trialStarted', eventId: eventId('trial'), occurredAt: at('2024-04-01'), namespaceId: ns, planCode: 'ultimate_trial', trialStartsOn: '2024-04-01', trialEndsOn: '2024-05-01' },
      { type: 'trialExtended', eventId: eventId('trial-ext'), occurredAt: at('2024-04-20'), namespaceId: ns, trialEndsOn: '2024-05-15' },
      { type: 'trialEnded', eventId: eventId('trial-end'), occurredAt: at('2024-05-15'), namespaceId: ns, endedOn: '2024-05-15' },
      usage(ns, '2024-06-01', 25),
      renewed(sub, '2025-01-01', '2026-01-01'),
      { type: 'reconciliationCompleted', eventId: eventId('rec'), occurredAt: at('2025-02-01'), subscriptionId: sub, termStartDate: '2024-01-01', seatsBilled: 5 },
      { type: 'expired', eventId: eventId('exp'), occurredAt: at('2026-01-02'), subscriptionId: sub, expiredOn: '2026-01-01' },
      // An operator's correction takes its place at the time it is applied: after everything else.
      {
        type: 'seatStatisticsCorrected', eventId: eventId('corr'), occurredAt: new Date().toISOString(), namespaceId: ns,
        termStartDate: '2025-01-01', maxSeatsUsed: 3, reason: 'wrong_measurement', note: 'Counted twice',
      },
    ];
    for (const command of sequence) {
      expect(await callsOf(command), command.type).toEqual(ONE_READ_ONE_WRITE);
      // Every state write left the pointer's copy equal to the state: the next command may decide from it.
      await expectCopyInStep(sub, ns);
    }
    expect(await callsOf(first, true)).toEqual({ BatchGetItem: 1 });
    const { state } = (await readState(ns))!;
    expect(state).toMatchObject({ status: 'expired', version: sequence.length, previousTerm: expect.objectContaining({ startDate: '2024-01-01', seatsBilled: 5 }) });
  });

  it('refuses to write from a copy behind its state: the transaction fails, the state item is read, and the state ends right', async () => {
    const ns = nextNamespace++;
    const sub = `calls-${ns}`;
    await callsOf(created(ns, sub));
    const behind = await pointerItem(sub);
    await callsOf(usage(ns, '2024-02-01', 14));
    // A writer that did not keep the copy in step (a version of the service before copies).
    await put(behind);
    const expected = (await readState(ns))!.state;
    expect(behind.stateCopy.version).toBe(expected.version - 1);

    // Decided from the copy, the new term's peak would start from no measurement; from the state, 14.
    const calls = await callsOf(renewed(sub, '2025-01-01', '2026-01-01'));

    expect(calls).toEqual({ BatchGetItem: 2, TransactWriteItems: 2 });
    expect((await readState(ns))!.state).toMatchObject({ version: 3, seatsInUse: 14, maxSeatsUsed: 14, seats: 12, startDate: '2025-01-01' });
    await expectCopyInStep(sub, ns);
  });

  it('reads the state once after a pointer written before copies (3 calls), and 2 from then on', async () => {
    const ns = nextNamespace++;
    const sub = `calls-${ns}`;
    await callsOf(created(ns, sub));
    const { stateCopy: _copy, ...legacyPointer } = await pointerItem(sub);
    const { pointerCopy: _marker, ...legacyState } = await stateItem(ns);
    await put(legacyPointer);
    await put(legacyState);

    // A namespace-addressed command cannot know the pointer: it writes no copy.
    expect(await callsOf(usage(ns, '2024-02-01', 14))).toEqual(ONE_READ_ONE_WRITE);
    expect((await pointerItem(sub)).stateCopy).toBeUndefined();
    expect(await callsOf(renewed(sub, '2025-01-01', '2026-01-01'))).toEqual({ BatchGetItem: 1, GetItem: 1, TransactWriteItems: 1 });
    await expectCopyInStep(sub, ns);
    expect(await callsOf(usage(ns, '2025-02-01', 9))).toEqual(ONE_READ_ONE_WRITE);
    expect(await callsOf(renewed(sub, '2026-01-01', '2027-01-01'))).toEqual(ONE_READ_ONE_WRITE);
    await expectCopyInStep(sub, ns);
  });

  it('keeps the copy right across a reassociation: the moved pointer carries the target state, the next command costs 2 calls', async () => {
    const source = nextNamespace++;
    const target = nextNamespace++;
    const sub = `calls-${source}`;
    const day = new Date().toISOString().slice(0, 10);
    const year = Number(day.slice(0, 4));
    await callsOf({ ...created(source, sub), occurredAt: at(`${year}-01-01`), startDate: `${year}-01-01`, endDate: `${year + 1}-01-01` });
    await callsOf(usage(target, `${year}-01-02`, 2));
    const moved = await client(runtime, 'operator').call('POST', `/v1/subscriptions/${sub}/reassociations`, {
      eventId: eventId('reassoc'), targetNamespaceId: target, reason: 'reseller_provisioning', note: 'Moved by the calls test',
    });
    expect(moved.status).toBe(200);
    await expectCopyInStep(sub, target);
    // The source holds no subscription now: nothing says a pointer carries its copy.
    expect((await stateItem(source)).pointerCopy).toBeUndefined();

    const entitlements: LifecycleCommand = { type: 'entitlementsUpdated', eventId: eventId('ent'), occurredAt: new Date().toISOString(), subscriptionId: sub, seats: 30 };
    expect(await callsOf(entitlements)).toEqual(ONE_READ_ONE_WRITE);
    expect((await readState(target))!.state).toMatchObject({ subscriptionId: sub, seats: 30 });
    await expectCopyInStep(sub, target);
  });
});
