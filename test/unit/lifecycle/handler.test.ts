import { BatchGetCommand, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { commandHandler } from '../../../shared/lifecycle/handler.js';
import { requestHash } from '../../../shared/lifecycle/execute.js';
import { emptyState, publicState } from '../../../shared/lifecycle/domain/rules.js';
import type { SeatUsageReported } from '../../../shared/lifecycle/domain/types.js';
import { apiGatewayEvent, lambdaContext } from '../fixtures/api-gateway.js';
import { STATE_TABLES, mockDocumentClient, transactionCanceled } from '../fixtures/dynamodb.js';

const ddbMock = mockDocumentClient(STATE_TABLES);
const context = lambdaContext;

const body = { eventId: 'evt-1', occurredAt: '2026-05-01T00:00:00Z', seatsInUse: 12, measuredAt: '2026-05-01T00:00:00Z' };
const command: SeatUsageReported = { type: 'seatUsageReported', namespaceId: 42, ...body };

const httpEvent = (payload: unknown, query?: Record<string, string>) =>
  apiGatewayEvent('PUT /v1/namespaces/{namespaceId}/seat-usage', { pathParameters: { namespaceId: '42' }, body: payload, query });

const handler = commandHandler('seatUsageReported');
const invoke = async (event: unknown) => (await handler(event as never, context)) as { statusCode: number; body: string; headers: Record<string, string> };

describe('Function: seat-usage-reported', () => {
  describe('Method: handler (HTTP)', () => {
    it('reads once with one consistent BatchGetItem and writes once with one TransactWriteItems', async () => {
      // Prepare
      ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [], 'idem-table': [] } });
      ddbMock.on(TransactWriteCommand).resolves({});

      // Act
      const res = await invoke(httpEvent(body));

      // Assess
      expect(res.statusCode).toBe(200);
      // No term yet: the measurement is the seats in use, and counts toward no peak.
      expect(JSON.parse(res.body)).toMatchObject({ namespaceId: 42, seatsInUse: 12, maxSeatsUsed: 0, version: 1 });
      expect(ddbMock.calls()).toHaveLength(2);
      expect(ddbMock).toHaveReceivedCommandWith(BatchGetCommand, {
        RequestItems: {
          'idem-table': { Keys: [{ eventId: 'evt-1' }], ConsistentRead: true },
          'state-table': { Keys: [{ pk: 'NS#42', sk: 'STATE' }], ConsistentRead: true },
        },
      });
      const write = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input;
      expect(write.TransactItems).toHaveLength(4);
      const [state, history, idem, entry] = write.TransactItems!.map((i) => i.Put!);
      expect(state).toMatchObject({ TableName: 'state-table', ConditionExpression: 'attribute_not_exists(pk)', Item: { pk: 'NS#42', sk: 'STATE', version: 1 } });
      expect(history).toMatchObject({
        TableName: 'state-table',
        ConditionExpression: 'attribute_not_exists(pk)',
        Item: { pk: 'NS#42', sk: 'HIST#000000000001', eventId: 'evt-1', type: 'seatUsageReported', actor: 'arn:aws:iam::123456789012:role/portal', before: null },
      });
      expect(idem).toMatchObject({
        TableName: 'idem-table',
        ConditionExpression: 'attribute_not_exists(eventId)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        Item: { eventId: 'evt-1', requestHash: requestHash(command), namespaceId: 42 },
      });
      expect(entry).toMatchObject({
        TableName: 'state-table',
        ConditionExpression: 'attribute_not_exists(pk)',
        Item: { pk: 'NS#42', sk: 'LOG#2026-05-01T00:00:00.000Z#5#2026-05-01T00:00:00.000Z#evt-1', command, state: { seatsInUse: 12 } },
      });
      expect(state!.Item).toMatchObject({ logLastKey: '2026-05-01T00:00:00.000Z#5#2026-05-01T00:00:00.000Z#evt-1', logBaseKey: null, fold: { peakMeasured: false } });
    });

    it('conditions the state on the version it read, and makes a state stored before the log its base', async () => {
      const { fold: _fold, previousTerm: _p, expiredOn: _e, ...stored } = { ...emptyState(42), seatsInUse: 3, maxSeatsUsed: 3, version: 7, lastMeasuredAt: '2026-04-01T00:00:00Z' };
      ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [{ pk: 'NS#42', sk: 'STATE', ...stored }], 'idem-table': [] } });
      ddbMock.on(TransactWriteCommand).resolves({});
      await invoke(httpEvent(body));
      const items = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!.map((i) => i.Put!);
      expect(items[0]).toMatchObject({
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':version': 7 },
        Item: { version: 8, seatsInUse: 12, maxSeatsUsed: 3, logBaseKey: '2026-04-01T00:00:00.000Z#9#2026-04-01T00:00:00.000Z#~upgrade' },
      });
      expect(items.map((item) => item.Item!.sk)).toContain('LOG#2026-04-01T00:00:00.000Z#9#2026-04-01T00:00:00.000Z#~upgrade');
    });

    it('answers a replay from the idempotency record with one call and no write', async () => {
      const stored = publicState({ ...emptyState(42), seatsInUse: 12, version: 1 });
      ddbMock.on(BatchGetCommand).resolves({
        Responses: { 'state-table': [], 'idem-table': [{ eventId: 'evt-1', requestHash: requestHash(command), result: stored }] },
      });
      const res = await invoke(httpEvent(body));
      expect(res.statusCode).toBe(200);
      expect(res.headers['idempotent-replayed']).toBe('true');
      expect(JSON.parse(res.body)).toEqual(stored);
      expect(ddbMock.calls()).toHaveLength(1);
    });

    it('answers 409 idempotency_conflict when the eventId was used for another body', async () => {
      ddbMock.on(BatchGetCommand).resolves({ Responses: { 'idem-table': [{ eventId: 'evt-1', requestHash: 'other', result: emptyState(42) }] } });
      const res = await invoke(httpEvent(body));
      expect(res.statusCode).toBe(409);
      expect(JSON.parse(res.body).error.code).toBe('idempotency_conflict');
      expect(ddbMock).not.toHaveReceivedCommand(TransactWriteCommand);
    });

    it('re-reads and retries when it loses a race on the version', async () => {
      ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [], 'idem-table': [] } });
      ddbMock
        .on(TransactWriteCommand)
        .rejectsOnce(transactionCanceled({ Code: 'ConditionalCheckFailed' }, { Code: 'None' }, { Code: 'None' }))
        .resolves({});
      const res = await invoke(httpEvent(body));
      expect(res.statusCode).toBe(200);
      expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(2);
      expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(2);
    });

    it('answers the stored result when a concurrent request applied the same event first', async () => {
      const stored = { ...emptyState(42), seatsInUse: 12, version: 1 };
      ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [], 'idem-table': [] } });
      ddbMock.on(TransactWriteCommand).rejects(
        transactionCanceled({ Code: 'ConditionalCheckFailed' },
            { Code: 'None' },
            { Code: 'ConditionalCheckFailed', Item: { eventId: { S: 'evt-1' }, requestHash: { S: requestHash(command) }, result: { M: { namespaceId: { N: '42' }, seatsInUse: { N: '12' }, version: { N: '1' } } } } }),
      );
      const res = await invoke(httpEvent(body));
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ namespaceId: 42, seatsInUse: 12, version: 1 });
      expect(stored.version).toBe(1);
      expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(1);
    });

    it('answers 503 with Retry-After and no internals when DynamoDB is unreachable', async () => {
      ddbMock.on(BatchGetCommand).rejects(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' }));
      const res = await invoke(httpEvent(body));
      expect(res.statusCode).toBe(503);
      expect(res.headers['Retry-After']).toBe('2');
      expect(res.body).not.toContain('ECONNREFUSED');
      expect(JSON.parse(res.body).error.code).toBe('unavailable');
    });

    it('answers 503 with Retry-After when the transaction is throttled (a StoreUnavailableError from the command)', async () => {
      ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [], 'idem-table': [] } });
      ddbMock.on(TransactWriteCommand).rejects(Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ThrottlingException' }));
      const res = await invoke(httpEvent(body));
      expect(res.statusCode).toBe(503);
      expect(res.headers['Retry-After']).toBe('2');
      expect(JSON.parse(res.body).error).toEqual({ code: 'unavailable', message: expect.stringMatching(/^The service cannot reach its database/) });
      expect(res.body).not.toContain('Rate of requests');
    });

    it('answers 503 with Retry-After when the transaction is cancelled for throttling, and writes nothing twice', async () => {
      // Prepare
      ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [], 'idem-table': [] } });
      ddbMock.on(TransactWriteCommand).rejects(transactionCanceled({ Code: 'ThrottlingError', Message: 'Throughput exceeds the current capacity' }, { Code: 'None' }, { Code: 'None' }));

      // Act
      const res = await invoke(httpEvent(body));

      // Assess
      expect(res.statusCode).toBe(503);
      expect(res.headers['Retry-After']).toBe('2');
      expect(JSON.parse(res.body).error.code).toBe('unavailable');
      expect(res.body).not.toContain('Throughput');
      expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(1);
    });

    it('answers 500 without internals when the transaction is cancelled as invalid', async () => {
      ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [], 'idem-table': [] } });
      ddbMock.on(TransactWriteCommand).rejects(transactionCanceled({ Code: 'ValidationError', Message: 'Item size has exceeded the maximum allowed size' }, { Code: 'None' }, { Code: 'None' }));
      const res = await invoke(httpEvent(body));
      expect(res.statusCode).toBe(500);
      expect(JSON.parse(res.body).error.code).toBe('internal_error');
      expect(res.body).not.toContain('Item size');
    });

    it('answers 500 without internals on an unexpected failure', async () => {
      ddbMock.on(BatchGetCommand).rejects(new TypeError('boom at secret-internal-path.ts:12'));
      const res = await invoke(httpEvent(body));
      expect(res.statusCode).toBe(500);
      expect(res.body).not.toContain('secret-internal-path');
      expect(JSON.parse(res.body).error.code).toBe('internal_error');
    });

    it('writes nothing on a dry run', async () => {
      ddbMock.on(BatchGetCommand).resolves({ Responses: {} });
      const res = await invoke(httpEvent(body, { dryRun: 'true' }));
      expect(res.statusCode).toBe(200);
      expect(res.headers['dry-run']).toBe('true');
      expect(ddbMock).not.toHaveReceivedCommand(TransactWriteCommand);
    });
  });

  describe('Method: handler (EventBridge)', () => {
    const busEvent = (detail: unknown) => ({
      version: '0', id: 'eb-1', 'detail-type': 'Seat Usage Reported', source: 'customers-portal', account: '1', time: '2026-05-01T00:00:00Z', region: 'eu-west-1', resources: [], detail,
    });

    it('applies the detail with the same command code', async () => {
      ddbMock.on(BatchGetCommand).resolves({ Responses: {} });
      ddbMock.on(TransactWriteCommand).resolves({});
      await handler(busEvent({ ...body, namespaceId: 42 }) as never, context);
      const history = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![1]!.Put!.Item!;
      expect(history).toMatchObject({ eventId: 'evt-1', actor: 'eventbridge:customers-portal' });
      // The same event over HTTP and over the bus hashes the same: a replay across channels is a replay.
      expect(ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![2]!.Put!.Item!.requestHash).toBe(requestHash(command));
    });

    it('throws on an invalid detail so the platform retries it and it reaches the failure destination', async () => {
      await expect(handler(busEvent({ eventId: 'x' }) as never, context)).rejects.toMatchObject({ code: 'validation_failed' });
      expect(ddbMock.calls()).toHaveLength(0);
    });

    it('settles a stale event without throwing, recording it in the history only', async () => {
      const { fold: _fold, ...legacy } = { ...emptyState(42), version: 2, lastMeasuredAt: '2026-06-01T00:00:00Z' };
      ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [{ pk: 'NS#42', sk: 'STATE', ...legacy }] } });
      ddbMock.on(PutCommand).resolves({});
      await expect(handler(busEvent({ ...body, namespaceId: 42 }) as never, context)).resolves.toBeUndefined();
      expect(ddbMock).not.toHaveReceivedCommand(TransactWriteCommand);
      expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
        TableName: 'state-table',
        ConditionExpression: 'attribute_not_exists(pk)',
        Item: expect.objectContaining({ pk: 'NS#42', sk: 'HIST#000000000002#STALE#evt-1', outcome: 'stale', changed: false, rejection: expect.objectContaining({ code: 'stale_event' }) }),
      });
    });
  });
});

describe('Function: subscription-renewed', () => {
  const renewed = commandHandler('renewed');
  const { fold: _fold, ...active } = {
    ...emptyState(9), subscriptionId: 'S-1', status: 'active' as const, planCode: 'premium', paidPlanCode: 'premium', seats: 5, startDate: '2025-01-01', endDate: '2026-01-01', version: 3,
  };
  /** The state item as a command's write leaves it (fold marks, the log's bounds, changedOn). */
  const stateItem = (fields: Record<string, unknown> = {}) => ({
    pk: 'NS#9', sk: 'STATE', ...active, fold: { termStartKey: null, previousTermKey: null, pendingTerm: null }, logLastKey: '2025-01-01T00:00:00.000Z#x', logBaseKey: null, changedOn: '2025-01-01', ...fields,
  });
  const pointer = (copy?: Record<string, unknown>) => ({
    pk: 'SUB#S-1', sk: 'SUB', subscriptionId: 'S-1', namespaceId: 9, associatedAt: '2025-01-01T00:00:00.000Z', ...(copy ? { stateCopy: copy } : {}),
  });
  const copyOf = (item: Record<string, unknown>) => {
    const { pk: _pk, sk: _sk, ...copy } = item;
    return copy;
  };
  const event = (eventId: string, startDate: string, endDate: string) => ({
    version: '0', id: eventId, 'detail-type': 'Subscription Renewed', source: 'customers-portal', account: '1', time: '2026-01-01T00:00:00Z', region: 'eu-west-1', resources: [],
    detail: { eventId, occurredAt: '2025-12-01T00:00:00Z', subscriptionId: 'S-1', startDate, endDate },
  });
  const transactions = () => ddbMock.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems!);
  const batchKeys = () => ddbMock.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems!['state-table']!.Keys);

  it("decides from the pointer's copy of the state: one BatchGetItem, one TransactWriteItems, the copy kept in step", async () => {
    // Prepare: a pointer carrying the copy of the state item; no hint, no earlier command in this process
    ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [pointer(copyOf(stateItem()))], 'idem-table': [] } });
    ddbMock.on(TransactWriteCommand).resolves({});

    // Act
    await renewed(event('r-1', '2026-01-01', '2027-01-01') as never, context);

    // Assess
    expect(ddbMock.calls()).toHaveLength(2);
    expect(batchKeys()).toEqual([[{ pk: 'SUB#S-1', sk: 'SUB' }]]);
    const [items] = transactions();
    // The condition is on the state item itself, at the version the copy says.
    expect(items![0]!.Put).toMatchObject({ ConditionExpression: '#version = :version AND subscriptionId = :sub', ExpressionAttributeValues: { ':version': 3, ':sub': 'S-1' } });
    expect(items![0]!.Put!.Item).toMatchObject({ pk: 'NS#9', version: 4, startDate: '2026-01-01', pointerCopy: 'S-1', changedOn: '2025-01-01' });
    expect(items![4]!.Update).toMatchObject({
      Key: { pk: 'SUB#S-1', sk: 'SUB' },
      UpdateExpression: 'SET #copy = :copy',
      ConditionExpression: 'namespaceId = :ns',
      ExpressionAttributeNames: { '#copy': 'stateCopy' },
      ExpressionAttributeValues: { ':ns': 9, ':copy': expect.objectContaining({ namespaceId: 9, version: 4, startDate: '2026-01-01', changedOn: '2025-01-01', logLastKey: expect.any(String) }) },
    });
    // The copy is the state item's fields a read needs, nothing of the due indexes.
    const { pk: _pk, sk: _sk, pointerCopy: _marker, renewalDue: _r, reconciliationDue: _c, expiryDue: _e, trialEndDue: _t, dueShard: _d, ...state } = items![0]!.Put!.Item!;
    expect(items![4]!.Update!.ExpressionAttributeValues![':copy']).toEqual(state);
  });

  it('reads the state after the pointer when the pointer carries no copy (written before copies), and writes the copy', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [pointer()], 'idem-table': [] } });
    ddbMock.on(GetCommand).resolves({ Item: stateItem() });
    ddbMock.on(TransactWriteCommand).resolves({});

    await renewed(event('r-1', '2026-01-01', '2027-01-01') as never, context);

    expect(ddbMock.calls()).toHaveLength(3);
    expect(ddbMock).toHaveReceivedCommandWith(GetCommand, { Key: { pk: 'NS#9', sk: 'STATE' }, ConsistentRead: true });
    const [items] = transactions();
    expect(items![0]!.Put!.Item).toMatchObject({ version: 4, pointerCopy: 'S-1' });
    expect(items![4]!.Update!.ExpressionAttributeValues![':copy']).toMatchObject({ version: 4, startDate: '2026-01-01' });
  });

  it('ignores a copy that names another namespace than its pointer', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [pointer(copyOf(stateItem({ namespaceId: 8 })))], 'idem-table': [] } });
    ddbMock.on(GetCommand).resolves({ Item: stateItem() });
    ddbMock.on(TransactWriteCommand).resolves({});

    await renewed(event('r-1', '2026-01-01', '2027-01-01') as never, context);

    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(1);
    expect(transactions()[0]![0]!.Put!.Item).toMatchObject({ namespaceId: 9, version: 4 });
  });

  it('never writes from a copy behind the state: its condition fails, and the next attempt reads the state item itself', async () => {
    // Prepare: the copy says version 3 and 5 seats; the state item is at version 4 with 7 seats
    // (a write that did not keep the copy in step: a version of the service before copies).
    const current = stateItem({ version: 4, seats: 7 });
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { 'state-table': [pointer(copyOf(stateItem()))], 'idem-table': [] } })
      .resolves({ Responses: { 'state-table': [pointer(copyOf(stateItem())), current], 'idem-table': [] } });
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(transactionCanceled({ Code: 'ConditionalCheckFailed' }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }))
      .resolves({});

    // Act: the renewal omits seats, so they carry over from the state it was decided on
    await renewed(event('r-1', '2026-01-01', '2027-01-01') as never, context);

    // Assess: BatchGetItem, TransactWriteItems (refused), BatchGetItem with the state item, TransactWriteItems
    expect(ddbMock.calls()).toHaveLength(4);
    expect(batchKeys()).toEqual([[{ pk: 'SUB#S-1', sk: 'SUB' }], [{ pk: 'NS#9', sk: 'STATE' }, { pk: 'SUB#S-1', sk: 'SUB' }]]);
    const [refused, written] = transactions();
    expect(refused![0]!.Put!.ExpressionAttributeValues).toMatchObject({ ':version': 3 });
    expect(written![0]!.Put!.ExpressionAttributeValues).toMatchObject({ ':version': 4 });
    expect(written![0]!.Put!.Item).toMatchObject({ version: 5, seats: 7, startDate: '2026-01-01' });
    expect(written![4]!.Update!.ExpressionAttributeValues![':copy']).toMatchObject({ version: 5, seats: 7 });
  });

  it('reads the state item before recording a command as stale from the copy (such a record is not conditional on the state)', async () => {
    // The copy says the log was started again on 2025-06-01 (a reassociation): a renewal starting
    // 2025-05-01 is older than the log keeps. The state item says so too.
    const moved = stateItem({ logBaseKey: '2025-06-01T00:00:00.000Z#m', logLastKey: '2025-06-01T00:00:00.000Z#m' });
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { 'state-table': [pointer(copyOf(moved))], 'idem-table': [] } })
      .resolves({ Responses: { 'state-table': [pointer(copyOf(moved)), moved], 'idem-table': [] } });
    ddbMock.on(PutCommand).resolves({});
    await renewed(event('r-0', '2025-05-01', '2026-05-01') as never, context);

    expect(batchKeys()).toEqual([[{ pk: 'SUB#S-1', sk: 'SUB' }], [{ pk: 'NS#9', sk: 'STATE' }, { pk: 'SUB#S-1', sk: 'SUB' }]]);
    expect(ddbMock).not.toHaveReceivedCommand(TransactWriteCommand);
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ sk: 'HIST#000000000003#STALE#r-0', outcome: 'stale' }) });
  });
});

describe('Function: seat-usage-reported (the pointer copy)', () => {
  const held = { ...emptyState(42), subscriptionId: 'S-1', status: 'active' as const, planCode: 'premium', paidPlanCode: 'premium', seats: 10, startDate: '2026-01-01', endDate: '2027-01-01', version: 2 };
  const stateItem = (fields: Record<string, unknown>) => ({ pk: 'NS#42', sk: 'STATE', ...held, logLastKey: '2026-01-01T00:00:00.000Z#x', logBaseKey: null, changedOn: '2026-01-01', ...fields });
  const items = (call = 0) => ddbMock.commandCalls(TransactWriteCommand)[call]!.args[0].input.TransactItems!;

  it("keeps the pointer's copy in step when the state says its subscription's pointer carries one", async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [stateItem({ pointerCopy: 'S-1' })], 'idem-table': [] } });
    ddbMock.on(TransactWriteCommand).resolves({});
    await invoke(httpEvent(body));
    expect(ddbMock.calls()).toHaveLength(2);
    expect(items()).toHaveLength(5);
    expect(items()[0]!.Put!.Item).toMatchObject({ version: 3, seatsInUse: 12, pointerCopy: 'S-1' });
    expect(items()[4]!.Update).toMatchObject({ Key: { pk: 'SUB#S-1', sk: 'SUB' }, ConditionExpression: 'namespaceId = :ns', ExpressionAttributeValues: { ':ns': 42, ':copy': expect.objectContaining({ version: 3, seatsInUse: 12 }) } });
  });

  it('writes no copy when the state does not say its pointer carries one (written before copies), or names another subscription', async () => {
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { 'state-table': [stateItem({})], 'idem-table': [] } })
      .resolvesOnce({ Responses: { 'state-table': [stateItem({ pointerCopy: 'S-0' })], 'idem-table': [] } });
    ddbMock.on(TransactWriteCommand).resolves({});
    await invoke(httpEvent(body));
    await invoke(httpEvent({ ...body, eventId: 'evt-2' }));
    for (const call of [0, 1]) {
      expect(items(call)).toHaveLength(4);
      expect(items(call)[0]!.Put!.Item).not.toHaveProperty('pointerCopy');
    }
  });

  it('writes again without the copy when that pointer no longer names the namespace (an item edited by hand), so the state stops saying so', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [stateItem({ pointerCopy: 'S-1' })], 'idem-table': [] } });
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(transactionCanceled({ Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'ConditionalCheckFailed' }))
      .resolves({});
    const res = await invoke(httpEvent(body));
    expect(res.statusCode).toBe(200);
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(1);
    expect(items(1)).toHaveLength(4);
    expect(items(1)[0]!.Put).toMatchObject({ ExpressionAttributeValues: { ':version': 2 } });
    expect(items(1)[0]!.Put!.Item).not.toHaveProperty('pointerCopy');
  });
});

describe('Function: subscription-created', () => {
  const created = commandHandler('created');
  const createdBody = {
    eventId: 'c-1', occurredAt: '2026-06-01T00:00:00Z', subscriptionId: 'S-9', namespaceId: 9, planCode: 'premium', seats: 5, startDate: '2026-06-01', endDate: '2026-05-01',
  };

  it('answers dates that contradict each other with 400 validation_failed naming them, writing nothing', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [], 'idem-table': [] } });
    const res = (await created(apiGatewayEvent('POST /v1/subscriptions', { body: createdBody }) as never, context)) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(400);
    const { error } = JSON.parse(res.body);
    expect(error).toMatchObject({ code: 'validation_failed', message: 'Invalid body: check endDate.' });
    expect(error.details).toEqual([{ field: 'endDate', message: 'endDate must be after startDate' }]);
    expect(ddbMock).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  it('fails such an event on the bus (invalid input is not settled)', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [], 'idem-table': [] } });
    const event = {
      version: '0', id: 'eb-9', 'detail-type': 'Subscription Created', source: 'customers-portal', account: '1', time: '2026-06-01T00:00:00Z', region: 'eu-west-1', resources: [], detail: createdBody,
    };
    await expect(created(event as never, context)).rejects.toMatchObject({ kind: 'invalid_input', code: 'validation_failed', settled: false });
    expect(ddbMock).not.toHaveReceivedCommand(TransactWriteCommand);
  });
});
