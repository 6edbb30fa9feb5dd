import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/flags-api/handler.js';
import { apiGatewayEvent, lambdaContext } from '../fixtures/api-gateway.js';
import { mockDocumentClient, transactionCanceled } from '../fixtures/dynamodb.js';

const ddbMock = mockDocumentClient({ TABLE_FLAGS: 'flags-table' });
const context = lambdaContext;
const FLAG = 'account_data_persistence';

type Caller = 'operator' | 'service';

const httpEvent = (routeKey: string, options: { name?: string; body?: unknown; query?: Record<string, string>; caller?: Caller } = {}) =>
  apiGatewayEvent(routeKey, {
    pathParameters: routeKey.includes('{name}') ? { name: options.name ?? FLAG } : undefined,
    body: options.body,
    query: options.query,
    caller: options.caller ?? 'operator',
  });

const invoke = async (event: unknown) => {
  const res = (await handler(event as never, context)) as { statusCode: number; body: string };
  return { status: res.statusCode, body: JSON.parse(res.body) };
};

const stored = (over: Record<string, unknown> = {}) => ({
  pk: 'FLAGS',
  sk: `FLAG#${FLAG}`,
  name: FLAG,
  enabled: false,
  actors: ['cust-1'],
  percentageOfActors: 0,
  version: 2,
  createdAt: '2026-05-01T10:00:00.000Z',
  updatedAt: '2026-05-01T11:00:00.000Z',
  updatedBy: 'operator-sub-0',
  ...over,
});

describe('Function: flags-api', () => {
  describe('Route: PUT /v1/flags/{name}', () => {
    it('creates a missing flag with every gate off plus the change, and its first history entry, in one transaction', async () => {
      // Prepare
      ddbMock.on(GetCommand).resolves({});
      ddbMock.on(TransactWriteCommand).resolves({});

      // Act
      const res = await invoke(httpEvent('PUT /v1/flags/{name}', { body: { actors: ['cust-1'] } }));

      // Assess
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ name: FLAG, enabled: false, actors: ['cust-1'], percentageOfActors: 0, version: 1, updatedBy: 'operator-sub-1' });
      expect(ddbMock).toHaveReceivedCommandWith(GetCommand, { TableName: 'flags-table', Key: { pk: 'FLAGS', sk: `FLAG#${FLAG}` }, ConsistentRead: true });
      const items = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
      expect(items).toHaveLength(2);
      expect(items[0]!.Put).toMatchObject({ TableName: 'flags-table', ConditionExpression: 'attribute_not_exists(pk)', Item: { pk: 'FLAGS', sk: `FLAG#${FLAG}`, version: 1 } });
      expect(items[1]!.Put).toMatchObject({
        TableName: 'flags-table',
        ConditionExpression: 'attribute_not_exists(pk)',
        Item: { pk: `FLAG#${FLAG}`, sk: 'H#000000000001', operator: 'operator-sub-1', before: null, after: { enabled: false, actors: ['cust-1'], percentageOfActors: 0 } },
      });
    });

    it('changes only the named gates, conditional on the version read', async () => {
      ddbMock.on(GetCommand).resolves({ Item: stored() });
      ddbMock.on(TransactWriteCommand).resolves({});
      const res = await invoke(httpEvent('PUT /v1/flags/{name}', { body: { percentageOfActors: 12.345 } }));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ actors: ['cust-1'], percentageOfActors: 12.345, version: 3 });
      const [flag, history] = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
      expect(flag!.Put).toMatchObject({ ConditionExpression: '#version = :version', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': 2 } });
      expect(history!.Put!.Item).toMatchObject({ sk: 'H#000000000003', before: { percentageOfActors: 0 }, after: { percentageOfActors: 12.345 } });
    });

    it('writes nothing when the change alters nothing', async () => {
      ddbMock.on(GetCommand).resolves({ Item: stored() });
      const res = await invoke(httpEvent('PUT /v1/flags/{name}', { body: { actors: ['cust-1'] } }));
      expect(res).toMatchObject({ status: 200, body: { version: 2 } });
      expect(ddbMock).toHaveReceivedCommandTimes(TransactWriteCommand, 0);
    });

    it('answers 409 version_conflict when expectedVersion is not the current version, writing nothing', async () => {
      ddbMock.on(GetCommand).resolves({ Item: stored() });
      const res = await invoke(httpEvent('PUT /v1/flags/{name}', { body: { enabled: true, expectedVersion: 1 } }));
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'version_conflict', details: { version: 2, expectedVersion: 1 } });
      expect(ddbMock).toHaveReceivedCommandTimes(TransactWriteCommand, 0);
    });

    it('re-reads and applies the change again after losing a race', async () => {
      ddbMock.on(GetCommand).resolvesOnce({ Item: stored() }).resolves({ Item: stored({ version: 3, enabled: true }) });
      ddbMock
        .on(TransactWriteCommand)
        .rejectsOnce(transactionCanceled({ Code: 'ConditionalCheckFailed' }, { Code: 'None' }))
        .resolves({});
      const res = await invoke(httpEvent('PUT /v1/flags/{name}', { body: { percentageOfActors: 5 } }));
      expect(res.body).toMatchObject({ enabled: true, percentageOfActors: 5, version: 4 });
      expect(ddbMock).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
    });

    it.each([
      [{ percentageOfActors: 100.5 }, 'percentageOfActors'],
      [{ percentageOfActors: -1 }, 'percentageOfActors'],
      [{ percentageOfActors: 1.2345 }, 'percentageOfActors'],
      [{ actors: ['cust-1', ''] }, 'actors.1'],
      [{ actors: ['  '] }, 'actors.0'],
      [{ enabled: 'yes' }, 'enabled'],
      [{ everyone: true }, 'everyone'],
    ])('answers 400 validation_failed for %j, naming %s', async (body, field) => {
      const res = await invoke(httpEvent('PUT /v1/flags/{name}', { body }));
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
      expect(ddbMock.calls()).toHaveLength(0);
    });

    it('answers 400 for an invalid flag name', async () => {
      const res = await invoke(httpEvent('PUT /v1/flags/{name}', { name: 'Bad-Name', body: {} }));
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].field).toBe('name');
    });

    it('answers 403 to a service caller', async () => {
      const res = await invoke(httpEvent('PUT /v1/flags/{name}', { body: { enabled: true }, caller: 'service' }));
      expect(res.status).toBe(403);
      expect(ddbMock.calls()).toHaveLength(0);
    });
  });

  describe('Route: GET /v1/flags', () => {
    it('lists every flag with a Query on the flags partition, following pages', async () => {
      ddbMock
        .on(QueryCommand)
        .resolvesOnce({ Items: [stored({ name: 'a_flag', sk: 'FLAG#a_flag' })], LastEvaluatedKey: { pk: 'FLAGS', sk: 'FLAG#a_flag' } })
        .resolves({ Items: [stored()] });
      const res = await invoke(httpEvent('GET /v1/flags'));
      expect(res.status).toBe(200);
      expect(res.body.items.map((f: { name: string }) => f.name)).toEqual(['a_flag', FLAG]);
      expect(res.body.items[0]).not.toHaveProperty('pk');
      expect(ddbMock).toHaveReceivedNthCommandWith(QueryCommand, 1, {
        TableName: 'flags-table',
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :flag)',
        ExpressionAttributeValues: { ':pk': 'FLAGS', ':flag': 'FLAG#' },
      });
      expect(ddbMock).toHaveReceivedNthCommandWith(QueryCommand, 2, { ExclusiveStartKey: { pk: 'FLAGS', sk: 'FLAG#a_flag' } });
    });
  });

  describe('Route: GET /v1/flags/{name}', () => {
    it('answers 404 for a flag never created', async () => {
      ddbMock.on(GetCommand).resolves({});
      const res = await invoke(httpEvent('GET /v1/flags/{name}'));
      expect(res.status).toBe(404);
      expect(res.body.error.message).toContain(`PUT /v1/flags/${FLAG}`);
    });
  });

  describe('Route: GET /v1/flags/{name}/history', () => {
    it('queries the flag history newest first', async () => {
      ddbMock.on(QueryCommand).resolves({
        Items: [{ pk: `FLAG#${FLAG}`, sk: 'H#000000000002', name: FLAG, version: 2, operator: 'op', before: {}, after: {}, changedAt: 'x' }],
        LastEvaluatedKey: { pk: `FLAG#${FLAG}`, sk: 'H#000000000002' },
      });
      const res = await invoke(httpEvent('GET /v1/flags/{name}/history', { query: { limit: '1' } }));
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([{ name: FLAG, version: 2, operator: 'op', before: {}, after: {}, changedAt: 'x' }]);
      expect(ddbMock).toHaveReceivedCommandWith(QueryCommand, { KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)', ScanIndexForward: false, Limit: 1 });
      const next = await invoke(httpEvent('GET /v1/flags/{name}/history', { query: { cursor: res.body.nextCursor } }));
      expect(next.status).toBe(200);
      expect(ddbMock).toHaveReceivedNthCommandWith(QueryCommand, 2, { ExclusiveStartKey: { pk: `FLAG#${FLAG}`, sk: 'H#000000000002' } });
    });

    it('refuses a cursor made for another flag', async () => {
      const forged = Buffer.from(JSON.stringify(['FLAG#other_flag', 'H#000000000001'])).toString('base64url');
      const res = await invoke(httpEvent('GET /v1/flags/{name}/history', { query: { cursor: forged } }));
      expect(res.status).toBe(400);
      expect(ddbMock.calls()).toHaveLength(0);
    });

    it('answers 404 for a flag without history', async () => {
      ddbMock.on(QueryCommand).resolves({ Items: [] });
      expect((await invoke(httpEvent('GET /v1/flags/{name}/history'))).status).toBe(404);
    });
  });
});
