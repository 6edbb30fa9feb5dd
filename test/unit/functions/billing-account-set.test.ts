import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requestHash } from '../../../shared/platform/exactly-once.js';
import { useFlagsTable } from '../../../shared/flags/provider.js';
import { SERVICE_ARN, apiGatewayEvent, lambdaContext } from '../fixtures/api-gateway.js';
import { transactionCanceled } from '../fixtures/dynamodb.js';

const ddbMock = mockClient(DynamoDBDocumentClient);
// A 5xx is reported to the error log over the bus: keep that in the process.
const busMock = mockClient(EventBridgeClient);
const context = lambdaContext;
const PORTAL = SERVICE_ARN;
const ROUTE = 'PUT /v1/customers/{customerId}/billing-account';

type Invoke = (event: unknown) => Promise<{ statusCode: number; body: string; headers: Record<string, string> } | undefined>;
let invoke: Invoke;

beforeAll(async () => {
  process.env.TABLE_STATE = 'state-table';
  process.env.TABLE_IDEMPOTENCY = 'idem-table';
  process.env.TABLE_FLAGS = 'flags-table';
  process.env.AWS_REGION = 'eu-west-1';
  busMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'eb-out-1' }] });
  const { handler } = await import('../../../functions/billing-account-set/handler.js');
  invoke = (event) => handler(event as never, context) as never;
});

afterEach(() => {
  ddbMock.reset();
  busMock.reset();
  busMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'eb-out-1' }] });
  // The handler registered the provider at import: forget what it cached between tests.
  useFlagsTable().clearCache();
});

const body = { eventId: 'evt-1', occurredAt: '2026-05-02T10:00:00Z', zuoraAccountId: 'Z-NEW' };
const command = { type: 'billingAccountSet', ...body, customerId: 'cust-1' };

const httpEvent = (payload: unknown, options: { customerId?: string; query?: Record<string, string> } = {}) =>
  apiGatewayEvent(ROUTE, { pathParameters: { customerId: options.customerId ?? 'cust-1' }, body: payload, query: options.query });

const busEvent = (detail: unknown, detailType = 'Customer Billing Account Set') => ({
  version: '0',
  id: 'eb-1',
  'detail-type': detailType,
  source: 'customers-portal',
  account: '123456789012',
  time: '2026-05-02T10:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail,
});

const flagItem = (gates: { enabled?: boolean; actors?: string[]; percentageOfActors?: number }) => ({
  pk: 'FLAGS',
  sk: 'FLAG#account_data_persistence',
  name: 'account_data_persistence',
  enabled: false,
  actors: [],
  percentageOfActors: 0,
  version: 2,
  createdAt: '2026-05-01T00:00:00.000Z',
  updatedAt: '2026-05-01T00:00:00.000Z',
  updatedBy: 'op-1',
  ...gates,
});

const existingCustomer = {
  pk: 'CUST#cust-1',
  sk: 'CUSTOMER',
  customerId: 'cust-1',
  zuoraAccountId: 'Z-OLD',
  membershipZuoraAccountId: 'Z-OLD',
  accountDataPersisted: true,
  changedOn: '2026-05-01',
  lastOccurredAt: '2026-05-01T10:00:00Z',
  lastEventId: 'evt-0',
  updatedAt: '2026-05-01T10:00:01.000Z',
  version: 3,
};

const reads = (customer?: Record<string, unknown>, idempotency?: Record<string, unknown>) =>
  ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': customer ? [customer] : [], 'idem-table': idempotency ? [idempotency] : [] } });

const writes = () => ddbMock.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems!);

describe('Function: billing-account-set', () => {
  describe('Method: handler (HTTP)', () => {
    it('with the flag off, records the customer and its idempotency record only', async () => {
      // Prepare
      reads();
      ddbMock.on(GetCommand).resolves({ Item: flagItem({}) });
      ddbMock.on(TransactWriteCommand).resolves({});

      // Act
      const res = (await invoke(httpEvent(body)))!;

      // Assess
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ customerId: 'cust-1', zuoraAccountId: 'Z-NEW', membershipZuoraAccountId: null, accountDataPersisted: false, version: 1 });
      expect(ddbMock).toHaveReceivedCommandWith(BatchGetCommand, {
        RequestItems: {
          'state-table': { Keys: [{ pk: 'CUST#cust-1', sk: 'CUSTOMER' }], ConsistentRead: true },
          'idem-table': { Keys: [{ eventId: 'evt-1' }], ConsistentRead: true },
        },
      });
      expect(ddbMock).toHaveReceivedCommandWith(GetCommand, { TableName: 'flags-table', Key: { pk: 'FLAGS', sk: 'FLAG#account_data_persistence' } });
      expect(ddbMock.calls()).toHaveLength(3);
      const [items] = writes();
      expect(items).toHaveLength(2);
      expect(items![0]!.Put).toMatchObject({
        TableName: 'state-table',
        ConditionExpression: 'attribute_not_exists(pk)',
        Item: { pk: 'CUST#cust-1', sk: 'CUSTOMER', zuoraAccountId: 'Z-NEW', membershipZuoraAccountId: null, version: 1, lastOccurredAt: body.occurredAt },
      });
      expect(items![0]!.Put!.Item!.changedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(items![1]!.Put).toMatchObject({
        TableName: 'idem-table',
        ConditionExpression: 'attribute_not_exists(eventId)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        Item: { eventId: 'evt-1', requestHash: requestHash(command), commandType: 'billingAccountSet', customerId: 'cust-1' },
      });
    });

    it('with the flag on for the customer, moves its membership in the same transaction', async () => {
      // Prepare
      reads(existingCustomer);
      ddbMock.on(GetCommand).resolves({ Item: flagItem({ actors: ['cust-1'] }) });
      ddbMock.on(TransactWriteCommand).resolves({});

      // Act
      const res = (await invoke(httpEvent(body)))!;

      // Assess
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ zuoraAccountId: 'Z-NEW', membershipZuoraAccountId: 'Z-NEW', accountDataPersisted: true, version: 4 });
      const [items] = writes();
      expect(items).toHaveLength(5);
      const [customer, idem, account, join, leave] = items!;
      expect(customer!.Put).toMatchObject({
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':version': 3 },
        Item: { pk: 'CUST#cust-1', version: 4 },
      });
      expect(idem!.Put!.TableName).toBe('idem-table');
      expect(account!.Update).toMatchObject({
        TableName: 'state-table',
        Key: { pk: 'BA#Z-NEW', sk: 'ACCOUNT' },
        UpdateExpression: 'SET zuoraAccountId = :z, createdAt = if_not_exists(createdAt, :now), updatedAt = :now',
      });
      expect(join!.Update).toMatchObject({
        Key: { pk: 'BA#Z-NEW', sk: 'MEMBER#cust-1' },
        ExpressionAttributeValues: { ':c': 'cust-1', ':z': 'Z-NEW', ':since': body.occurredAt, ':e': 'evt-1' },
      });
      expect(leave!.Delete).toEqual({ TableName: 'state-table', Key: { pk: 'BA#Z-OLD', sk: 'MEMBER#cust-1' } });
    });

    it('answers a replay from the idempotency record, without evaluating the flag or writing', async () => {
      reads(existingCustomer, { eventId: 'evt-1', requestHash: requestHash(command), commandType: 'billingAccountSet', result: { customerId: 'cust-1', version: 4 } });
      const res = (await invoke(httpEvent(body)))!;
      expect(res.statusCode).toBe(200);
      expect(res.headers['idempotent-replayed']).toBe('true');
      expect(JSON.parse(res.body)).toMatchObject({ customerId: 'cust-1', version: 4 });
      expect(ddbMock.calls()).toHaveLength(1);
    });

    it('answers 409 idempotency_conflict for the same eventId with another body', async () => {
      reads(existingCustomer, { eventId: 'evt-1', requestHash: 'another-request', commandType: 'billingAccountSet', result: {} });
      const res = (await invoke(httpEvent(body)))!;
      expect(res.statusCode).toBe(409);
      expect(JSON.parse(res.body).error.code).toBe('idempotency_conflict');
      expect(ddbMock).toHaveReceivedCommandTimes(TransactWriteCommand, 0);
    });

    it('answers 409 stale_event for an event older than the last applied, writing nothing', async () => {
      reads(existingCustomer);
      ddbMock.on(GetCommand).resolves({ Item: flagItem({ enabled: true }) });
      const res = (await invoke(httpEvent({ ...body, occurredAt: '2026-04-30T00:00:00Z' })))!;
      expect(res.statusCode).toBe(409);
      expect(JSON.parse(res.body).error.code).toBe('stale_event');
      expect(ddbMock).toHaveReceivedCommandTimes(TransactWriteCommand, 0);
    });

    it('with dryRun=true answers the customer it would produce and writes nothing', async () => {
      reads(existingCustomer);
      ddbMock.on(GetCommand).resolves({ Item: flagItem({ enabled: true }) });
      const res = (await invoke(httpEvent(body, { query: { dryRun: 'true' } })))!;
      expect(res.statusCode).toBe(200);
      expect(res.headers['dry-run']).toBe('true');
      expect(JSON.parse(res.body)).toMatchObject({ zuoraAccountId: 'Z-NEW', membershipZuoraAccountId: 'Z-NEW', version: 4 });
      expect(ddbMock).toHaveReceivedCommandTimes(TransactWriteCommand, 0);
    });

    it('answers 503 and writes nothing when the flag cannot be read', async () => {
      reads(existingCustomer);
      ddbMock.on(GetCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
      const res = (await invoke(httpEvent(body)))!;
      expect(res.statusCode).toBe(503);
      expect(ddbMock).toHaveReceivedCommandTimes(TransactWriteCommand, 0);
    });

    it('treats a flag never created as off', async () => {
      reads();
      ddbMock.on(GetCommand).resolves({});
      ddbMock.on(TransactWriteCommand).resolves({});
      const res = (await invoke(httpEvent(body)))!;
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body).accountDataPersisted).toBe(false);
      expect(writes()[0]).toHaveLength(2);
    });

    it('re-reads and retries after losing a race on the customer, asking the flag once', async () => {
      reads(existingCustomer);
      ddbMock.on(GetCommand).resolves({ Item: flagItem({ enabled: true }) });
      ddbMock
        .on(TransactWriteCommand)
        .rejectsOnce(transactionCanceled({ Code: 'ConditionalCheckFailed' }, { Code: 'None' }))
        .resolves({});
      const res = (await invoke(httpEvent(body)))!;
      expect(res.statusCode).toBe(200);
      expect(ddbMock).toHaveReceivedCommandTimes(BatchGetCommand, 2);
      expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 1);
      expect(ddbMock).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
    });

    it('answers what a concurrent duplicate stored when it won the race', async () => {
      reads();
      ddbMock.on(GetCommand).resolves({ Item: flagItem({}) });
      ddbMock.on(TransactWriteCommand).rejects(
        transactionCanceled({ Code: 'ConditionalCheckFailed' },
            { Code: 'ConditionalCheckFailed', Item: { eventId: { S: 'evt-1' }, requestHash: { S: requestHash(command) }, result: { M: { customerId: { S: 'cust-1' }, version: { N: '1' } } } } }),
      );
      const res = (await invoke(httpEvent(body)))!;
      expect(res.statusCode).toBe(200);
      expect(res.headers['idempotent-replayed']).toBe('true');
      expect(JSON.parse(res.body)).toMatchObject({ customerId: 'cust-1', version: 1 });
    });

    it('answers 400 naming each bad field, reading nothing', async () => {
      const res = (await invoke(httpEvent({ eventId: '', occurredAt: 'yesterday', zuoraAccountId: 'Z#1' }, { customerId: 'cust 1' })))!;
      expect(res.statusCode).toBe(400);
      expect(JSON.parse(res.body).error).toMatchObject({ code: 'validation_failed', details: [{ field: 'customerId' }] });
      const bad = (await invoke(httpEvent({ eventId: '', occurredAt: 'yesterday', zuoraAccountId: 'Z#1' })))!;
      expect(JSON.parse(bad.body).error.details.map((d: { field: string }) => d.field).sort()).toEqual(['eventId', 'occurredAt', 'zuoraAccountId']);
      expect(ddbMock.calls()).toHaveLength(0);
    });
  });

  describe('Method: handler (EventBridge)', () => {
    it('applies Customer Billing Account Set with the same command code', async () => {
      reads();
      ddbMock.on(GetCommand).resolves({ Item: flagItem({ percentageOfActors: 100 }) });
      ddbMock.on(TransactWriteCommand).resolves({});
      await expect(invoke(busEvent({ ...body, customerId: 'cust-1' }))).resolves.toBeUndefined();
      const [items] = writes();
      expect(items).toHaveLength(4);
      expect(items![0]!.Put!.Item).toMatchObject({ pk: 'CUST#cust-1', accountDataPersisted: true, membershipZuoraAccountId: 'Z-NEW' });
      expect(items![1]!.Put!.Item).toMatchObject({ requestHash: requestHash(command) });
    });

    it('settles a stale event without failing (the newer change stands)', async () => {
      reads(existingCustomer);
      ddbMock.on(GetCommand).resolves({ Item: flagItem({}) });
      await expect(invoke(busEvent({ ...body, customerId: 'cust-1', occurredAt: '2026-04-01T00:00:00Z' }))).resolves.toBeUndefined();
      expect(ddbMock).toHaveReceivedCommandTimes(TransactWriteCommand, 0);
    });

    it('fails an invalid detail so that it reaches the failure destination', async () => {
      await expect(invoke(busEvent({ ...body }))).rejects.toMatchObject({ code: 'validation_failed' });
      await expect(invoke(busEvent({ ...body, customerId: 'cust-1' }, 'Trial Started'))).rejects.toThrow(/check the rule's pattern/);
      expect(ddbMock.calls()).toHaveLength(0);
    });
  });
});
