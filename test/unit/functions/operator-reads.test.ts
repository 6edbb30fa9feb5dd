import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/operator-reads/handler.js';
import { apiGatewayEvent, lambdaContext } from '../fixtures/api-gateway.js';
import { STATE_TABLES, mockDocumentClient } from '../fixtures/dynamodb.js';

const ddbMock = mockDocumentClient({ TABLE_STATE: STATE_TABLES.TABLE_STATE });
const context = lambdaContext;

const httpEvent = (routeKey: string, pathParameters: Record<string, string>, options: { query?: Record<string, string>; caller?: 'operator' | 'service' } = {}) =>
  apiGatewayEvent(routeKey, { pathParameters, query: options.query, caller: options.caller ?? 'operator' });

const invoke = async (event: unknown) => {
  const res = (await handler(event as never, context)) as { statusCode: number; body: string };
  return { status: res.statusCode, body: JSON.parse(res.body) };
};

const NAMESPACE = 'GET /v1/operator/namespaces/{namespaceId}';
const SUBSCRIPTION = 'GET /v1/operator/subscriptions/{subscriptionId}';
const state = { pk: 'NS#42', sk: 'STATE', namespaceId: 42, subscriptionId: 'A-S1', seats: 10, seatsInUse: 3, maxSeatsUsed: 14, seatsOwed: 4, version: 2 };
const entry = (version: number) => ({ pk: 'NS#42', sk: `HIST#${String(version).padStart(12, '0')}`, namespaceId: 42, version, type: 'seatUsageReported', before: null, after: state });

describe('Function: operator-reads', () => {
  describe('Route: GET /v1/operator/namespaces/{namespaceId}', () => {
    it('reads the state consistently and queries a page of history newest first', async () => {
      ddbMock.on(GetCommand).resolves({ Item: state });
      ddbMock.on(QueryCommand).resolves({ Items: [entry(2), entry(1)], LastEvaluatedKey: { pk: 'NS#42', sk: 'HIST#000000000001' } });

      const res = await invoke(httpEvent(NAMESPACE, { namespaceId: '42' }, { query: { limit: '2' } }));

      expect(res.status).toBe(200);
      expect(res.body.state).toMatchObject({ namespaceId: 42, seatsOwed: 4 });
      expect(res.body.history.items.map((i: { version: number }) => i.version)).toEqual([2, 1]);
      expect(res.body.history.items[0]).not.toHaveProperty('pk');
      expect(typeof res.body.history.nextCursor).toBe('string');
      expect(ddbMock).toHaveReceivedCommandWith(GetCommand, { TableName: 'state-table', Key: { pk: 'NS#42', sk: 'STATE' }, ConsistentRead: true });
      expect(ddbMock).toHaveReceivedCommandWith(QueryCommand, {
        TableName: 'state-table',
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :hist)',
        ExpressionAttributeValues: { ':pk': 'NS#42', ':hist': 'HIST#' },
        ScanIndexForward: false,
        Limit: 2,
      });
    });

    it('answers 404 without querying the history when the namespace has no state', async () => {
      ddbMock.on(GetCommand).resolves({});
      const res = await invoke(httpEvent(NAMESPACE, { namespaceId: '42' }));
      expect(res.status).toBe(404);
      expect(ddbMock).not.toHaveReceivedCommand(QueryCommand);
    });

    it('refuses a bad namespace id or limit with 400 before reading anything', async () => {
      expect((await invoke(httpEvent(NAMESPACE, { namespaceId: '0' }))).status).toBe(400);
      expect((await invoke(httpEvent(NAMESPACE, { namespaceId: '42' }, { query: { limit: '101' } }))).status).toBe(400);
      expect(ddbMock.calls()).toHaveLength(0);
    });

    it('is for operators: service credentials are 403', async () => {
      expect((await invoke(httpEvent(NAMESPACE, { namespaceId: '42' }, { caller: 'service' }))).status).toBe(403);
      expect(ddbMock.calls()).toHaveLength(0);
    });
  });

  describe('Route: GET /v1/operator/subscriptions/{subscriptionId}', () => {
    it("answers the subscription's namespace from its pointer", async () => {
      ddbMock.on(GetCommand, { Key: { pk: 'SUB#A-S1', sk: 'SUB' } }).resolves({ Item: { pk: 'SUB#A-S1', sk: 'SUB', subscriptionId: 'A-S1', namespaceId: 42, associatedAt: '2026-01-01T00:00:00Z' } });
      const res = await invoke(httpEvent(SUBSCRIPTION, { subscriptionId: 'A-S1' }));
      expect(res).toEqual({ status: 200, body: { subscriptionId: 'A-S1', namespaceId: 42, associatedAt: '2026-01-01T00:00:00Z' } });
    });

    it('answers 404 for a subscription without a pointer', async () => {
      ddbMock.on(GetCommand).resolves({});
      const res = await invoke(httpEvent(SUBSCRIPTION, { subscriptionId: 'A-S9' }));
      expect(res.status).toBe(404);
      expect(res.body.error.message).toContain('A-S9');
    });
  });
});
