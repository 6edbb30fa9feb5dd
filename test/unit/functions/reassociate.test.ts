import { BatchGetCommand, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/reassociate/handler.js';
import { MAX_ATTEMPTS } from '../../../shared/platform/exactly-once.js';
import { reassociationHash } from '../../../shared/reassociation/reassociate.js';
import { emptyState, seatsOwed } from '../../../shared/lifecycle/domain/rules.js';
import type { NamespaceState } from '../../../shared/lifecycle/domain/types.js';
import { apiGatewayEvent, lambdaContext } from '../fixtures/api-gateway.js';
import { STATE_TABLES, mockDocumentClient, transactionCanceled } from '../fixtures/dynamodb.js';

const ddbMock = mockDocumentClient(STATE_TABLES);
const context = lambdaContext;

const body = { eventId: 'ra-1', targetNamespaceId: 8, reason: 'reseller_provisioning', note: 'Reseller provisioned it on its own group' };
const command = { eventId: 'ra-1', subscriptionId: 'sub-1', targetNamespaceId: 8, reason: 'reseller_provisioning' as const, note: body.note, replacePaid: false };

const source: NamespaceState = (() => {
  const s = {
    ...emptyState(7), subscriptionId: 'sub-1', status: 'active' as const, planCode: 'premium', paidPlanCode: 'premium', seats: 10,
    seatsInUse: 6, maxSeatsUsed: 14, maxSeatsUsedChangedAt: '2026-03-01T00:00:00Z', startDate: '2026-01-01', endDate: '2027-01-01', version: 3,
    updatedAt: '2026-03-01T00:00:00.000Z',
  };
  return { ...s, seatsOwed: seatsOwed(s) };
})();

const httpEvent = (payload: unknown, authorizer: Record<string, unknown> = { jwt: { claims: { sub: 'op-42' }, scopes: null } }) =>
  apiGatewayEvent('POST /v1/subscriptions/{subscriptionId}/reassociations', { pathParameters: { subscriptionId: 'sub-1' }, body: payload, caller: authorizer });

const invoke = async (event: unknown) => (await handler(event as never, context)) as { statusCode: number; body: string; headers: Record<string, string> };

/** The subscription's pointer names namespace 7; the target (8) was never stored. */
function givenSubscriptionOnSource() {
  ddbMock.on(BatchGetCommand).resolves({
    Responses: { 'state-table': [{ pk: 'SUB#sub-1', sk: 'SUB', subscriptionId: 'sub-1', namespaceId: 7, associatedAt: '2026-01-01T00:00:00Z' }], 'idem-table': [] },
  });
  ddbMock.on(GetCommand, { Key: { pk: 'NS#7', sk: 'STATE' } }).resolves({ Item: { pk: 'NS#7', sk: 'STATE', ...source } });
}


describe('Function: reassociate', () => {
  it('reads with one BatchGetItem and one GetItem, and writes everything in one TransactWriteItems', async () => {
    givenSubscriptionOnSource();
    ddbMock.on(TransactWriteCommand).resolves({});

    const res = await invoke(httpEvent(body));

    expect(res.statusCode).toBe(200);
    expect(ddbMock.calls()).toHaveLength(3);
    const items = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items).toHaveLength(9);
    const [sourceState, sourceHistory, targetState, targetHistory, pointer, record, sourceBase, targetBase, idem] = items.map((i) => i.Put!);
    expect(sourceState).toMatchObject({
      Item: { pk: 'NS#7', sk: 'STATE', subscriptionId: null, version: 4 },
      ConditionExpression: '#version = :version AND subscriptionId = :sub',
      ExpressionAttributeValues: { ':version': 3, ':sub': 'sub-1' },
    });
    expect(sourceHistory).toMatchObject({ Item: { pk: 'NS#7', sk: 'HIST#000000000004', type: 'reassociated', actor: 'op-42', eventId: 'ra-1' } });
    expect(targetState).toMatchObject({ Item: { pk: 'NS#8', sk: 'STATE', subscriptionId: 'sub-1', maxSeatsUsed: 14, version: 1 }, ConditionExpression: 'attribute_not_exists(pk)' });
    expect(targetHistory).toMatchObject({ Item: { pk: 'NS#8', sk: 'HIST#000000000001', before: null, actor: 'op-42' } });
    expect(pointer).toMatchObject({ Item: { pk: 'SUB#sub-1', sk: 'SUB', namespaceId: 8 }, ConditionExpression: 'namespaceId = :ns', ExpressionAttributeValues: { ':ns': 7 } });
    expect(record!.Item!.pk).toMatch(/^REASSOC#\d{4}-\d{2}$/);
    expect(record).toMatchObject({ Item: { reason: 'reseller_provisioning', actor: 'op-42', targetWasInTrial: false, note: body.note } });
    // Both logs start again after the move: the state after it is each namespace's base entry.
    expect(sourceBase!.Item!.sk).toMatch(/^LOG#.*#9#.*#~reassociated-ra-1$/);
    expect(targetBase).toMatchObject({ Item: { pk: 'NS#8', state: { subscriptionId: 'sub-1', maxSeatsUsed: 14 } } });
    expect(targetState!.Item).toMatchObject({ logLastKey: targetBase!.Item!.sk.slice(4), logBaseKey: targetBase!.Item!.sk.slice(4) });
    expect(idem).toMatchObject({ TableName: 'idem-table', Item: { eventId: 'ra-1', requestHash: reassociationHash(command), commandType: 'reassociated' } });
    expect(JSON.parse(res.body)).toMatchObject({ dryRun: false, before: { source: { version: 3 }, target: null }, after: { target: { namespaceId: 8 } }, warnings: [] });
  });

  it("reads one Query more when the target has a log: its measurements within the moved term, which count toward the peak", async () => {
    // The target (8) is stored with a log; it measured 20 within the term, then 3.
    const target = { ...emptyState(8), seatsInUse: 3, lastMeasuredAt: '2026-05-01T00:00:00Z', version: 5, updatedAt: '2026-05-01T00:00:01.000Z' };
    ddbMock.on(BatchGetCommand).resolves({
      Responses: {
        'state-table': [
          { pk: 'SUB#sub-1', sk: 'SUB', subscriptionId: 'sub-1', namespaceId: 7, associatedAt: '2026-01-01T00:00:00Z' },
          { pk: 'NS#8', sk: 'STATE', ...target, logLastKey: '2026-05-01T00:00:00.000Z#5#2026-05-01T00:00:00.000Z#u-2', logBaseKey: null },
        ],
        'idem-table': [],
      },
    });
    ddbMock.on(GetCommand, { Key: { pk: 'NS#7', sk: 'STATE' } }).resolves({ Item: { pk: 'NS#7', sk: 'STATE', ...source } });
    const trial = { trial: false, trialStartsOn: null, trialEndsOn: null };
    ddbMock.on(QueryCommand).resolves({
      Items: [
        { command: { type: 'seatUsageReported', seatsInUse: 20, measuredAt: '2026-04-02T00:00:00Z' }, state: { seatsInUse: 20, lastMeasuredAt: '2026-04-02T00:00:00Z', ...trial } },
        { command: { type: 'seatUsageReported', seatsInUse: 3, measuredAt: '2026-05-01T00:00:00Z' }, state: { seatsInUse: 3, lastMeasuredAt: '2026-05-01T00:00:00Z', ...trial } },
      ],
    });
    ddbMock.on(TransactWriteCommand).resolves({});

    const res = await invoke(httpEvent(body));

    expect(res.statusCode).toBe(200);
    // BatchGetItem, GetItem (the source), Query (the target's measurements), TransactWriteItems.
    expect(ddbMock.calls()).toHaveLength(4);
    expect(ddbMock.commandCalls(QueryCommand)).toHaveLength(1);
    expect(ddbMock.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({
      TableName: 'state-table',
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :until',
      ExpressionAttributeValues: { ':pk': 'NS#8', ':from': 'LOG#2026-01-01T00:00:00.000Z', ':until': 'LOG#2027-01-01T00:00:00.000Z', ':measured': 'seatUsageReported' },
      ConsistentRead: true,
    });
    const after = JSON.parse(res.body).after.target;
    expect(after).toMatchObject({ subscriptionId: 'sub-1', maxSeatsUsed: 20, maxSeatsUsedChangedAt: '2026-04-02T00:00:00Z', seatsOwed: 10, seatsInUse: 3, version: 6 });
    const targetState = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![2]!.Put!;
    expect(targetState).toMatchObject({ Item: { pk: 'NS#8', maxSeatsUsed: 20, seatsOwed: 10 }, ConditionExpression: '#version = :version', ExpressionAttributeValues: { ':version': 5 } });
  });

  it('a dry run reads and writes nothing', async () => {
    givenSubscriptionOnSource();
    const res = await invoke(httpEvent({ ...body, dryRun: true }));
    expect(res.statusCode).toBe(200);
    expect(res.headers['dry-run']).toBe('true');
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(JSON.parse(res.body).dryRun).toBe(true);
  });

  it('answers what a concurrent request with the same eventId stored', async () => {
    givenSubscriptionOnSource();
    const stored = {
      dryRun: false,
      before: { source, target: null },
      after: { source: { ...source, subscriptionId: null, version: 4 }, target: { ...source, namespaceId: 8, version: 1 } },
      warnings: [{ code: 'trial_converted', message: 'stored by the winner' }],
    };
    ddbMock.on(TransactWriteCommand).rejects(
      transactionCanceled(...[
        ...Array.from({ length: 8 }, () => ({ Code: 'None' })),
        {
          Code: 'ConditionalCheckFailed',
          Item: {
            eventId: { S: 'ra-1' },
            requestHash: { S: reassociationHash(command) },
            result: { M: marshall(stored, { removeUndefinedValues: true }) },
          },
        },
      ]),
    );
    const res = await invoke(httpEvent(body));
    expect(res.statusCode).toBe(200);
    expect(res.headers['idempotent-replayed']).toBe('true');
    expect(JSON.parse(res.body)).toEqual(stored);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it(`retries a lost race from the read, ${MAX_ATTEMPTS} attempts, then answers 409 concurrent_update`, async () => {
    givenSubscriptionOnSource();
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(...[{ Code: 'ConditionalCheckFailed' }, ...Array.from({ length: 6 }, () => ({ Code: 'None' }))]));
    const res = await invoke(httpEvent(body));
    expect(res.statusCode).toBe(409);
    expect(JSON.parse(res.body).error.code).toBe('concurrent_update');
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(MAX_ATTEMPTS);
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(MAX_ATTEMPTS);
  });

  it('404 for an unknown subscription, saying so', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [], 'idem-table': [] } });
    ddbMock.on(QueryCommand).resolves({ Items: [] });
    const res = await invoke(httpEvent(body));
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(res.body).error.message).toContain('sub-1 is unknown');
  });

  it('refuses a service caller with 403 before reading anything', async () => {
    const res = await invoke(httpEvent(body, { iam: { userArn: 'arn:aws:iam::123456789012:role/portal' } }));
    expect(res.statusCode).toBe(403);
    expect(ddbMock.calls()).toHaveLength(0);
  });
});
