import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/error-log-admin/handler.js';
import { apiGatewayEvent, lambdaContext } from '../fixtures/api-gateway.js';
import { mockDocumentClient, transactionCanceled } from '../fixtures/dynamodb.js';

const ddbMock = mockDocumentClient({ TABLE_ERRORS: 'errors-table' });

const invoke = async (routeKey: string, options: Parameters<typeof apiGatewayEvent>[1] = {}) => {
  const res = (await handler(apiGatewayEvent(routeKey, { caller: 'operator', ...options }) as never, lambdaContext)) as { statusCode: number; body: string };
  return { status: res.statusCode, body: JSON.parse(res.body) };
};

const savedRule = (over: Record<string, unknown> = {}) => ({
  pk: 'NOISE',
  sk: 'RULE#zuora-sandbox',
  id: 'zuora-sandbox',
  body: { match: { integration: 'zuora' }, reason: 'sandbox' },
  version: 1,
  createdAt: '2026-05-01T10:00:00.000Z',
  updatedAt: '2026-05-01T10:00:00.000Z',
  updatedBy: 'operator-sub-0',
  ...over,
});

describe('Function: error-log-admin', () => {
  describe('Route: PUT /v1/noise-rules/{ruleId}', () => {
    it('creates a rule and its first history entry in one transaction, with the operator', async () => {
      // Prepare
      ddbMock.on(GetCommand).resolves({});
      ddbMock.on(TransactWriteCommand).resolves({});

      // Act
      const res = await invoke('PUT /v1/noise-rules/{ruleId}', { pathParameters: { ruleId: 'zuora-sandbox' }, body: { match: { integration: 'zuora' }, reason: 'sandbox' } });

      // Assess
      expect(res.status).toBe(201);
      expect(ddbMock).toHaveReceivedCommandWith(GetCommand, { TableName: 'errors-table', Key: { pk: 'NOISE', sk: 'RULE#zuora-sandbox' }, ConsistentRead: true });
      const items = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
      expect(items[0]!.Put).toMatchObject({ ConditionExpression: 'attribute_not_exists(pk)', Item: { pk: 'NOISE', sk: 'RULE#zuora-sandbox', version: 1, updatedBy: 'operator-sub-1' } });
      expect(items[1]!.Put).toMatchObject({
        ConditionExpression: 'attribute_not_exists(pk)',
        Item: { pk: 'NOISE#zuora-sandbox', sk: 'CHANGE#000000000001', operator: 'operator-sub-1', action: 'saved', before: null, after: { match: { integration: 'zuora' }, reason: 'sandbox' } },
      });
      // The rule's items carry none of the error records' index keys, nor a numeric TTL.
      for (const item of items) for (const key of ['status', 'entity', 'gitlabIssueLink', 'expiresAt']) expect(item.Put!.Item).not.toHaveProperty(key);
    });

    it('writes nothing for the same rule again', async () => {
      ddbMock.on(GetCommand).resolves({ Item: savedRule() });
      const res = await invoke('PUT /v1/noise-rules/{ruleId}', { pathParameters: { ruleId: 'zuora-sandbox' }, body: { match: { integration: 'zuora' }, reason: 'sandbox' } });
      expect(res).toMatchObject({ status: 200, body: { version: 1 } });
      expect(ddbMock).not.toHaveReceivedCommand(TransactWriteCommand);
    });

    it('re-reads after a lost race and applies the change to the newer version', async () => {
      ddbMock.on(GetCommand).resolvesOnce({ Item: savedRule() }).resolves({ Item: savedRule({ version: 2, body: { match: { integration: 'zuora' }, reason: 'other' } }) });
      ddbMock.on(TransactWriteCommand).rejectsOnce(transactionCanceled({ Code: 'ConditionalCheckFailed' }, { Code: 'None' })).resolves({});
      const res = await invoke('PUT /v1/noise-rules/{ruleId}', { pathParameters: { ruleId: 'zuora-sandbox' }, body: { match: { integration: 'zuora' }, reason: 'mine' } });
      expect(res).toMatchObject({ status: 200, body: { version: 3 } });
      const second = ddbMock.commandCalls(TransactWriteCommand)[1]!.args[0].input.TransactItems!;
      expect(second[0]!.Put).toMatchObject({ ConditionExpression: '#version = :version', ExpressionAttributeValues: { ':version': 2 } });
    });

    it('answers 409 version_conflict when the operator pinned another version, writing nothing', async () => {
      ddbMock.on(GetCommand).resolves({ Item: savedRule({ version: 4 }) });
      const res = await invoke('PUT /v1/noise-rules/{ruleId}', { pathParameters: { ruleId: 'zuora-sandbox' }, body: { match: { code: 'x' }, reason: 'r', expectedVersion: 3 } });
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'version_conflict', details: { version: 4, expectedVersion: 3 } });
      expect(ddbMock).not.toHaveReceivedCommand(TransactWriteCommand);
    });

    it('answers 400 naming the fields of a bad body, reading nothing', async () => {
      const res = await invoke('PUT /v1/noise-rules/{ruleId}', { pathParameters: { ruleId: 'zuora-sandbox' }, body: { match: { flow: 'somewhere' } } });
      expect(res.status).toBe(400);
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(expect.arrayContaining(['match.flow', 'reason']));
      expect(ddbMock.calls()).toHaveLength(0);
    });
  });

  describe('Route: GET /v1/noise-rules', () => {
    it('answers saved and built-in rules with their counts from one Query of the NOISE partition', async () => {
      ddbMock.on(QueryCommand).resolves({
        Items: [savedRule(), { pk: 'NOISE', sk: 'COUNT#zuora-sandbox', matched: 7, lastMatchedAt: '2026-05-02T00:00:00.000Z' }, { pk: 'NOISE', sk: 'RULE#default-idempotency-conflict', id: 'default-idempotency-conflict', body: null, version: 1, createdAt: 't', updatedAt: 't', updatedBy: 'o' }],
      });
      const res = await invoke('GET /v1/noise-rules');
      expect(res.status).toBe(200);
      expect(ddbMock.commandCalls(QueryCommand)).toHaveLength(1);
      expect(ddbMock).toHaveReceivedCommandWith(QueryCommand, { TableName: 'errors-table', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'NOISE' } });
      expect(res.body.items.map((r: { id: string; matched: number }) => [r.id, r.matched])).toEqual([
        ['default-stale-event', 0],
        ['zuora-sandbox', 7],
      ]);
    });
  });

  describe('Route: GET /v1/runbooks/{code}', () => {
    it('answers the shipped runbook of a service code when none is saved', async () => {
      ddbMock.on(GetCommand).resolves({});
      const res = await invoke('GET /v1/runbooks/{code}', { pathParameters: { code: 'trial_not_ended' } });
      expect(res).toMatchObject({ status: 200, body: { code: 'trial_not_ended', source: 'default', version: 0 } });
    });

    it('answers 404 for a code with no runbook', async () => {
      ddbMock.on(GetCommand).resolves({});
      const res = await invoke('GET /v1/runbooks/{code}', { pathParameters: { code: 'VALIDATION_ERROR' } });
      expect(res.status).toBe(404);
      expect(res.body.error.message).toContain('PUT /v1/runbooks/VALIDATION_ERROR');
    });
  });

  it('refuses a service caller (operator routes)', async () => {
    const res = await invoke('GET /v1/runbooks', { caller: 'service' });
    expect(res.status).toBe(403);
  });
});
