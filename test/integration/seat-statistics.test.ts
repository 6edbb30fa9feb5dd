/**
 * The cases of issue 16 through the service itself (HTTP, the bus, DynamoDB Local): each case's
 * events are delivered in several orders, each order on its own namespace, and every order must
 * end in the same state with the right bill. A subscription-addressed command that arrives before
 * its subscription exists answers 404 and is sent again after the others, as a retrying caller
 * does. Everything is dated in the past: an instant after the service's clock is invalid input.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { logKey } from '../../shared/lifecycle/domain/log.js';
import type { LifecycleCommand, NamespaceState } from '../../shared/lifecycle/domain/types.js';
import { commands } from '../../shared/lifecycle/commands.js';
import type { CommerceCommandType } from '../../shared/lifecycle/commands.js';
import { client, eventId, startTestRuntime, busClient } from './helpers.js';
import type { Client } from './helpers.js';

let runtime: Runtime;
let api: Client;
let operator: Client;
let nextNamespace = 16_000;

beforeAll(async () => {
  runtime = await startTestRuntime();
  api = client(runtime);
  operator = client(runtime, 'operator');
});
afterAll(async () => {
  await runtime?.stop();
});

/** A command of a case, before it is given a namespace and a subscription of its own. */
type Event = { type: LifecycleCommand['type'] } & Record<string, unknown>;

const created = (startDate: string, endDate: string, seats: number, occurredAt = `${startDate}T08:00:00Z`): Event => ({ type: 'created', planCode: 'premium', seats, startDate, endDate, occurredAt });
const renewed = (startDate: string, endDate: string, seats: number, occurredAt = `${startDate}T08:00:00Z`): Event => ({ type: 'renewed', startDate, endDate, seats, occurredAt });
const usage = (seatsInUse: number, measuredAt: string): Event => ({ type: 'seatUsageReported', seatsInUse, measuredAt, occurredAt: measuredAt });
const entitlements = (occurredAt: string, fields: Record<string, unknown>): Event => ({ type: 'entitlementsUpdated', occurredAt, ...fields });
const expired = (expiredOn: string, occurredAt = `${expiredOn}T12:00:00Z`): Event => ({ type: 'expired', expiredOn, occurredAt });
const trialStarted = (trialStartsOn: string, trialEndsOn: string): Event => ({
  type: 'trialStarted',
  planCode: 'ultimate_trial',
  trialStartsOn,
  trialEndsOn,
  occurredAt: `${trialStartsOn}T06:00:00Z`,
});
const trialEnded = (endedOn: string): Event => ({ type: 'trialEnded', endedOn, occurredAt: `${endedOn}T23:00:00Z` });

/** The HTTP request of a command: its route from the command table, the body without the path ids. */
async function send(command: LifecycleCommand) {
  const definition = commands[command.type as CommerceCommandType];
  const { type: _type, ...fields } = command as unknown as Record<string, unknown>;
  const ids = Object.keys(definition.path.shape);
  const path = definition.route.path.replace(/\{(\w+)\}/g, (_m: string, name: string) => encodeURIComponent(String(fields[name])));
  const body = Object.fromEntries(Object.entries(fields).filter(([name]) => !ids.includes(name)));
  return api.call(definition.route.method, path, body);
}

/** A case's event as a command on `namespaceId` and its subscription: the ids its type is addressed by. */
function commandOf(event: Event, eventId: string, namespaceId: number): LifecycleCommand {
  const definition = commands[event.type as CommerceCommandType];
  const fields = [...Object.keys(definition.path.shape), ...Object.keys(definition.body.shape)];
  const ids = { namespaceId, subscriptionId: `SS-${namespaceId}` };
  return { ...event, eventId, ...Object.fromEntries(Object.entries(ids).filter(([name]) => fields.includes(name))) } as unknown as LifecycleCommand;
}

/** Delivers `events` in this order on a fresh namespace; a 404 (subscription not created yet) goes again at the end. */
async function deliver(events: readonly Event[]): Promise<NamespaceState> {
  const namespaceId = nextNamespace++;
  const queue = events.map((e, i) => commandOf(e, `case-${namespaceId}-${i}`, namespaceId));
  for (let i = 0; i < queue.length; i++) {
    const res = await send(queue[i]!);
    if (res.status === 404) queue.push(queue[i]!);
    else expect([200, 409], JSON.stringify(res.body)).toContain(res.status);
    expect(i, 'a command keeps answering 404').toBeLessThan(events.length * 3);
  }
  return (await api.call('GET', `/v1/namespaces/${namespaceId}/subscription`)).body as NamespaceState;
}

/** What a bill depends on: the state without its namespace, subscription, version and clock. */
const bill = ({ namespaceId: _n, subscriptionId: _s, version: _v, updatedAt: _u, previousTerm, ...rest }: NamespaceState) => ({
  ...rest,
  previousTerm: previousTerm && { ...previousTerm, subscriptionId: 'any' },
});

/** In order, reversed, and two shuffles (fixed seeds): the same state every time. */
async function inSeveralOrders(events: readonly Event[]): Promise<NamespaceState> {
  const shuffles = fc.sample(fc.shuffledSubarray([...events], { minLength: events.length, maxLength: events.length }), { numRuns: 2, seed: 16 });
  const orders = [[...events], [...events].reverse(), ...shuffles];
  const states = [];
  for (const order of orders) states.push(await deliver(order));
  for (const state of states.slice(1)) expect(bill(state)).toEqual(bill(states[0]!));
  return states[0]!;
}

describe('Seat statistics over HTTP: the same events give the same bill in any order (issue 16)', () => {
  it('1. an old-term measurement after a renewal counts toward the previous term', async () => {
    const s = await inSeveralOrders([
      created('2025-06-01', '2026-06-01', 10, '2025-06-01T00:00:00Z'),
      usage(8, '2026-05-30T00:00:00Z'),
      renewed('2026-06-01', '2027-06-01', 10, '2026-06-01T00:00:00Z'),
      usage(16, '2026-05-31T00:00:00Z'),
      usage(9, '2026-06-02T00:00:00Z'),
    ]);
    expect(s).toMatchObject({ maxSeatsUsed: 9, seatsOwed: 0, previousTerm: { maxSeatsUsed: 16, seatsOwed: 6 } });
  });

  it('2. an early renewal: what is measured before its start belongs to the current term', async () => {
    const s = await inSeveralOrders([
      created('2025-06-01', '2026-06-01', 10),
      renewed('2026-06-01', '2027-06-01', 10, '2026-05-15T00:00:00Z'),
      usage(15, '2026-05-20T00:00:00Z'),
      usage(9, '2026-06-02T00:00:00Z'),
    ]);
    expect(s).toMatchObject({ maxSeatsUsed: 9, seatsOwed: 0, previousTerm: { maxSeatsUsed: 15, seatsOwed: 5 } });
  });

  it('3. a renewal arriving after its own term’s measurements still counts them', async () => {
    const s = await inSeveralOrders([
      created('2025-01-01', '2026-01-01', 10),
      renewed('2026-01-01', '2027-01-01', 10, '2025-12-15T00:00:00Z'),
      usage(14, '2026-01-10T00:00:00Z'),
      usage(9, '2026-02-01T00:00:00Z'),
    ]);
    expect(s).toMatchObject({ startDate: '2026-01-01', maxSeatsUsed: 14, seatsOwed: 4 });
  });

  it('4. a trial arriving after measurements taken during it: they do not count', async () => {
    const s = await inSeveralOrders([
      created('2025-06-01', '2026-06-01', 10),
      usage(20, '2025-09-10T00:00:00Z'),
      usage(8, '2025-10-05T00:00:00Z'),
      trialStarted('2025-09-01', '2025-09-30'),
      trialEnded('2025-09-30'),
    ]);
    expect(s).toMatchObject({ maxSeatsUsed: 8, seatsOwed: 0, trial: false });
  });

  it('5. out-of-order entitlements: the newer wins, different fields both stay', async () => {
    const s = await inSeveralOrders([
      created('2025-01-01', '2026-01-01', 10),
      entitlements('2025-02-01T00:00:00Z', { seats: 15 }),
      entitlements('2025-01-15T00:00:00Z', { seats: 12, autoRenew: true }),
    ]);
    expect(s).toMatchObject({ seats: 15, autoRenew: true });
  });

  it('6. an expiry dated on the renewed term’s start never ends the renewed term; after a lapse a renewal is active', async () => {
    const late = await inSeveralOrders([
      created('2024-01-01', '2025-01-01', 10),
      renewed('2025-01-01', '2026-01-01', 10, '2024-12-15T00:00:00Z'),
      expired('2025-01-01', '2025-01-03T00:00:00Z'),
    ]);
    expect(late).toMatchObject({ status: 'active', startDate: '2025-01-01', planCode: 'premium' });
    const lapse = await inSeveralOrders([created('2024-01-01', '2025-01-01', 10), expired('2025-01-01'), renewed('2025-02-15', '2026-02-15', 10)]);
    expect(lapse).toMatchObject({ status: 'active', planCode: 'premium', startDate: '2025-02-15', expiredOn: null });
  });

  it('8. measurements out of order within a term: every one counts, seatsInUse is the newest', async () => {
    const s = await inSeveralOrders([created('2025-01-01', '2026-01-01', 10), usage(17, '2025-02-01T00:00:00Z'), usage(11, '2025-03-01T00:00:00Z'), usage(4, '2025-04-01T00:00:00Z')]);
    expect(s).toMatchObject({ maxSeatsUsed: 17, seatsInUse: 4, seatsOwed: 7 });
  });
});

describe('Redeliveries and states stored before the log', () => {
  const table = async () => {
    const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
    const { localClient } = await import('../../local/dynamodb.js');
    return DynamoDBDocumentClient.from(localClient(runtime.dynamoEndpoint));
  };

  it('9. a command re-sent after its idempotency record expired changes nothing: the log holds it', async () => {
    const { DeleteCommand } = await import('@aws-sdk/lib-dynamodb');
    const namespaceId = nextNamespace++;
    const sequence = [created('2025-01-01', '2026-01-01', 10), trialStarted('2025-03-01', '2025-03-30'), entitlements('2025-04-01T00:00:00Z', { seats: 12 }), usage(9, '2025-05-01T00:00:00Z')].map(
      (e, i) => commandOf(e, `redeliver-${namespaceId}-${i}`, namespaceId),
    );
    for (const command of sequence) expect((await send(command)).status).toBe(200);
    const before = (await api.call('GET', `/v1/namespaces/${namespaceId}/subscription`)).body;
    const doc = await table();
    // What DynamoDB's TTL does after 90 days.
    for (const command of sequence) await doc.send(new DeleteCommand({ TableName: runtime.tables.idempotency, Key: { eventId: command.eventId } }));
    doc.destroy();
    for (const command of sequence.slice(0, 3)) {
      const again = await send(command);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(before);
    }
    expect((await api.call('GET', `/v1/namespaces/${namespaceId}/subscription`)).body).toEqual(before);
  });

  it('reads a state stored before the log, and makes it the log’s base on its next write', async () => {
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const namespaceId = nextNamespace++;
    const subscriptionId = `SS-${namespaceId}`;
    // An item of the shape written before issue 16: no fold marks, no log, the peak stored.
    const legacy = {
      pk: `NS#${namespaceId}`, sk: 'STATE', namespaceId, subscriptionId, planCode: 'premium', paidPlanCode: 'premium', seats: 10, seatsInUse: 12,
      maxSeatsUsed: 14, maxSeatsUsedChangedAt: '2025-03-01T00:00:00Z', seatsOwed: 4, trial: false, trialStartsOn: null, trialEndsOn: null,
      startDate: '2025-01-01', endDate: '2026-01-01', autoRenew: true, nextReconciliationDate: null, status: 'active',
      lastMeasuredAt: '2025-04-01T00:00:00Z', version: 9, updatedAt: '2025-04-01T00:00:05Z', changedOn: '2025-01-01',
    };
    const doc = await table();
    await doc.send(new PutCommand({ TableName: runtime.tables.state, Item: legacy }));
    await doc.send(new PutCommand({ TableName: runtime.tables.state, Item: { pk: `SUB#${subscriptionId}`, sk: 'SUB', subscriptionId, namespaceId, associatedAt: '2025-01-01T00:00:00Z' } }));
    doc.destroy();

    const read = await api.call('GET', `/v1/namespaces/${namespaceId}/subscription`);
    expect(read.body).toMatchObject({ maxSeatsUsed: 14, seatsOwed: 4, version: 9, previousTerm: null, expiredOn: null });
    // Older than the state's newest known instant: stale, as the rules said before.
    expect((await send(commandOf(usage(30, '2025-03-15T00:00:00Z'), `legacy-${namespaceId}-0`, namespaceId))).status).toBe(409);
    // After it: folded on top of it; then a late one between the two.
    expect((await send(commandOf(usage(16, '2025-05-01T00:00:00Z'), `legacy-${namespaceId}-1`, namespaceId))).body).toMatchObject({ maxSeatsUsed: 16, seatsOwed: 6, version: 10 });
    expect((await send(commandOf(usage(2, '2025-04-15T00:00:00Z'), `legacy-${namespaceId}-2`, namespaceId))).body).toMatchObject({ maxSeatsUsed: 16, seatsInUse: 16, version: 11 });
    expect((await send(commandOf(renewed('2026-01-01', '2027-01-01', 10), `legacy-${namespaceId}-3`, namespaceId))).body).toMatchObject({
      maxSeatsUsed: 16,
      previousTerm: { maxSeatsUsed: 16, seatsOwed: 6 },
    });
  });
});

describe('Seat statistics on the bus', () => {
  it('7. a measurement dated in the future is a failure that reaches the error log, never a settled event', async () => {
    const events = busClient(runtime);
    const namespaceId = nextNamespace++;
    const measuredAt = '2036-01-01T00:00:00Z';
    const detail = { eventId: eventId('future'), occurredAt: '2026-01-01T00:00:00Z', namespaceId, seatsInUse: 99, measuredAt };
    const out = await events.send(new PutEventsCommand({ Entries: [{ EventBusName: 'provisioning', Source: 'customers-portal', DetailType: 'Seat Usage Reported', Detail: JSON.stringify(detail) }] }));
    events.destroy();
    expect(out.FailedEntryCount).toBe(0);
    await runtime.bus.drain();
    expect((await api.call('GET', `/v1/namespaces/${namespaceId}/subscription`)).status).toBe(404);
    const list = await operator.call('GET', '/v1/errors?limit=100');
    const record = (list.body.items as Array<{ code: string; subject: string; errorType: string; source: string }>).find(
      (r) => r.subject.includes('Seat Usage Reported') && r.errorType === 'InvalidInputError',
    );
    expect(record).toMatchObject({ source: 'async', code: 'async_handler_failed' });
  });
});

describe('The log, in the table', () => {
  it('keeps one entry per command in business order, and prunes what is older than the previous term', async () => {
    const namespaceId = nextNamespace++;
    const at = (c: Event, i: number) => commandOf(c, `prune-${namespaceId}-${i}`, namespaceId);
    const sequence = [
      created('2022-01-01', '2023-01-01', 5),
      usage(3, '2022-02-01T00:00:00Z'),
      renewed('2023-01-01', '2024-01-01', 5),
      usage(4, '2023-02-01T00:00:00Z'),
      renewed('2024-01-01', '2025-01-01', 5),
    ].map(at);
    for (const command of sequence) expect((await send(command)).status).toBe(200);
    await runtime.settle();
    const { DynamoDBDocumentClient, QueryCommand } = await import('@aws-sdk/lib-dynamodb');
    const { localClient } = await import('../../local/dynamodb.js');
    const doc = DynamoDBDocumentClient.from(localClient(runtime.dynamoEndpoint));
    const out = await doc.send(
      new QueryCommand({
        TableName: runtime.tables.state,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :log)',
        ExpressionAttributeValues: { ':pk': `NS#${namespaceId}`, ':log': 'LOG#' },
        ConsistentRead: true,
      }),
    );
    doc.destroy();
    // The first term's entries went once the third term started (the previous term is the second).
    expect((out.Items ?? []).map((i) => i.sk)).toEqual(sequence.slice(2).map((c) => `LOG#${logKey(c)}`));
  });
});
