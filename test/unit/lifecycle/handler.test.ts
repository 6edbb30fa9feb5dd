import { BatchGetCommand, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { commandHandler } from '../../../shared/lifecycle/handler.js';
import { requestHash } from '../../../shared/lifecycle/execute.js';
import { emptyState } from '../../../shared/lifecycle/domain/rules.js';
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
      expect(JSON.parse(res.body)).toMatchObject({ namespaceId: 42, seatsInUse: 12, maxSeatsUsed: 12, version: 1 });
      expect(ddbMock.calls()).toHaveLength(2);
      expect(ddbMock).toHaveReceivedCommandWith(BatchGetCommand, {
        RequestItems: {
          'idem-table': { Keys: [{ eventId: 'evt-1' }], ConsistentRead: true },
          'state-table': { Keys: [{ pk: 'NS#42', sk: 'STATE' }], ConsistentRead: true },
        },
      });
      const write = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input;
      expect(write.TransactItems).toHaveLength(3);
      const [state, history, idem] = write.TransactItems!.map((i) => i.Put!);
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
    });

    it('conditions the state on the version it read', async () => {
      const current = { ...emptyState(42), seatsInUse: 3, maxSeatsUsed: 3, version: 7, lastMeasuredAt: '2026-04-01T00:00:00Z' };
      ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [{ pk: 'NS#42', sk: 'STATE', ...current }], 'idem-table': [] } });
      ddbMock.on(TransactWriteCommand).resolves({});
      await invoke(httpEvent(body));
      const state = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![0]!.Put!;
      expect(state).toMatchObject({
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':version': 7 },
        Item: { version: 8, seatsInUse: 12, maxSeatsUsed: 12 },
      });
    });

    it('answers a replay from the idempotency record with one call and no write', async () => {
      const stored = { ...emptyState(42), seatsInUse: 12, version: 1 };
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

    it('settles a stale event without throwing', async () => {
      const current = { ...emptyState(42), version: 2, lastMeasuredAt: '2026-06-01T00:00:00Z' };
      ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [{ pk: 'NS#42', sk: 'STATE', ...current }] } });
      await expect(handler(busEvent({ ...body, namespaceId: 42 }) as never, context)).resolves.toBeUndefined();
      expect(ddbMock).not.toHaveReceivedCommand(TransactWriteCommand);
    });
  });
});

describe('Function: subscription-renewed', () => {
  it('follows the subscription pointer to the namespace, then remembers it', async () => {
    // A process that has not seen S-1 yet, whatever ran before: the module's namespace hint starts empty.
    vi.resetModules();
    const fresh = await import('../../../shared/lifecycle/handler.js');
    const renewed = fresh.commandHandler('renewed');
    const active = { ...emptyState(9), subscriptionId: 'S-1', status: 'active', planCode: 'premium', paidPlanCode: 'premium', seats: 5, startDate: '2026-01-01', endDate: '2027-01-01', version: 3 };
    ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [{ pk: 'SUB#S-1', sk: 'SUB', subscriptionId: 'S-1', namespaceId: 9 }], 'idem-table': [] } });
    ddbMock.on(GetCommand).resolves({ Item: { pk: 'NS#9', sk: 'STATE', ...active } });
    ddbMock.on(TransactWriteCommand).resolves({});
    const event = (eventId: string, startDate: string, endDate: string) => ({
      version: '0', id: eventId, 'detail-type': 'Subscription Renewed', source: 'customers-portal', account: '1', time: '2027-01-01T00:00:00Z', region: 'eu-west-1', resources: [],
      detail: { eventId, occurredAt: '2027-01-01T00:00:00Z', subscriptionId: 'S-1', startDate, endDate },
    });
    await renewed(event('r-1', '2027-01-01', '2028-01-01') as never, context);
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(1);
    const write = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![0]!.Put!;
    expect(write.ConditionExpression).toBe('#version = :version AND subscriptionId = :sub');
    expect(write.ExpressionAttributeValues).toEqual({ ':version': 3, ':sub': 'S-1' });

    // A warm process reads the state in the same BatchGetItem: 2 calls per applied event.
    ddbMock.resetHistory();
    ddbMock.on(BatchGetCommand).resolves({
      Responses: { 'state-table': [{ pk: 'SUB#S-1', sk: 'SUB', subscriptionId: 'S-1', namespaceId: 9 }, { pk: 'NS#9', sk: 'STATE', ...active, version: 4, startDate: '2027-01-01' }], 'idem-table': [] },
    });
    await renewed(event('r-2', '2028-01-01', '2029-01-01') as never, context);
    expect(ddbMock.calls()).toHaveLength(2);
    expect(ddbMock).toHaveReceivedCommandWith(BatchGetCommand, {
      RequestItems: expect.objectContaining({ 'state-table': { Keys: [{ pk: 'NS#9', sk: 'STATE' }, { pk: 'SUB#S-1', sk: 'SUB' }], ConsistentRead: true } }),
    });
  });
});
