import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeKeyCursor, keyCursor } from '../../../../shared/platform/dynamodb/cursor.js';
import { InvalidCursorError, StoreError } from '../../../../shared/platform/dynamodb/errors.js';
import { queryAll, queryPage } from '../../../../shared/platform/dynamodb/query.js';

const ddbMock = mockClient(DynamoDBDocumentClient);
afterEach(() => ddbMock.reset());

const sent = () => ddbMock.commandCalls(QueryCommand).map((call) => call.args[0].input);
const history = { TableName: 'state', KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)', ExpressionAttributeValues: { ':pk': 'NS#1', ':h': 'HIST#' }, Limit: 2 };
const historyCursor = keyCursor((pk, sk) => pk === 'NS#1' && sk.startsWith('HIST#'));

describe('Function: queryPage', () => {
  it('sends one Query and answers its items with the cursor of the next page', async () => {
    // Prepare
    ddbMock.on(QueryCommand).resolves({ Items: [{ pk: 'NS#1', sk: 'HIST#2' }, { pk: 'NS#1', sk: 'HIST#1' }], LastEvaluatedKey: { pk: 'NS#1', sk: 'HIST#1' } });

    // Act
    const page = await queryPage(history, { codec: historyCursor });

    // Assess
    expect(sent()).toEqual([history]);
    expect(page.items).toHaveLength(2);
    expect(page.nextCursor).toBe(encodeKeyCursor({ pk: 'NS#1', sk: 'HIST#1' }));
    expect(page.lastEvaluatedKey).toEqual({ pk: 'NS#1', sk: 'HIST#1' });
  });

  it('starts where the cursor points', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [] });

    const page = await queryPage(history, { cursor: encodeKeyCursor({ pk: 'NS#1', sk: 'HIST#1' })!, codec: historyCursor });

    expect(sent()).toEqual([{ ...history, ExclusiveStartKey: { pk: 'NS#1', sk: 'HIST#1' } }]);
    expect(page.nextCursor).toBeNull();
  });

  it('refuses a cursor of another listing and sends nothing', async () => {
    const forged = encodeKeyCursor({ pk: 'NS#2', sk: 'HIST#1' })!;

    await expect(queryPage(history, { cursor: forged, codec: historyCursor })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(queryPage(history, { cursor: 'not-base64-json', codec: historyCursor })).rejects.toBeInstanceOf(InvalidCursorError);
    expect(sent()).toHaveLength(0);
  });

  it('refuses to read a cursor without its codec', async () => {
    await expect(queryPage(history, { cursor: 'abc' })).rejects.toBeInstanceOf(StoreError);
  });

  it('starts at a key the caller keeps itself, and reports the capacity', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [], ConsumedCapacity: { TableName: 'state', CapacityUnits: 0.5 } });
    const reported: unknown[] = [];

    await queryPage({ ...history, ExclusiveStartKey: { pk: 'NS#1', sk: 'HIST#9' } }, { onConsumedCapacity: (c) => reported.push(c) });

    expect(sent()).toEqual([{ ...history, ExclusiveStartKey: { pk: 'NS#1', sk: 'HIST#9' }, ReturnConsumedCapacity: 'TOTAL' }]);
    expect(reported).toEqual([{ TableName: 'state', CapacityUnits: 0.5 }]);
  });
});

describe('Function: queryAll', () => {
  it('follows LastEvaluatedKey to the last page', async () => {
    ddbMock
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ id: 1 }, { id: 2 }], LastEvaluatedKey: { pk: 'P', sk: '2' } })
      .resolvesOnce({ Items: [{ id: 3 }], LastEvaluatedKey: { pk: 'P', sk: '3' } })
      .resolves({ Items: [] });
    const input = { TableName: 'flags', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'P' } };

    const items = await queryAll(input);

    expect(items).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    expect(sent()).toEqual([input, { ...input, ExclusiveStartKey: { pk: 'P', sk: '2' } }, { ...input, ExclusiveStartKey: { pk: 'P', sk: '3' } }]);
  });

  it('stops at max items', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [{ id: 1 }, { id: 2 }], LastEvaluatedKey: { pk: 'P', sk: 'x' } });

    const items = await queryAll({ TableName: 't', KeyConditionExpression: 'pk = :pk' }, { max: 3 });

    expect(items).toEqual([{ id: 1 }, { id: 2 }, { id: 1 }]);
    expect(sent()).toHaveLength(2);
  });

  it('reports the capacity of every page', async () => {
    ddbMock
      .on(QueryCommand)
      .resolvesOnce({ Items: [], LastEvaluatedKey: { pk: 'P', sk: '1' }, ConsumedCapacity: { CapacityUnits: 1 } })
      .resolves({ Items: [], ConsumedCapacity: { CapacityUnits: 0.5 } });
    let units = 0;

    await queryAll({ TableName: 't', KeyConditionExpression: 'pk = :pk' }, { onConsumedCapacity: (c) => (units += (c as { CapacityUnits: number }).CapacityUnits) });

    expect(units).toBe(1.5);
  });
});
