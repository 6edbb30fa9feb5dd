import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { batchGetAll } from '../../../../shared/platform/dynamodb/batch-get.js';
import { StoreUnavailableError } from '../../../../shared/platform/dynamodb/errors.js';

const ddbMock = mockClient(DynamoDBDocumentClient);
afterEach(() => ddbMock.reset());

/** No wait between attempts: the test asserts what is sent, not when. */
const noWait = { backoff: { random: () => 0 } };
const sent = () => ddbMock.commandCalls(BatchGetCommand).map((call) => call.args[0].input);

describe('Function: batchGetAll', () => {
  it('reads several tables in one consistent BatchGetItem and answers the items by table', async () => {
    // Prepare
    ddbMock.on(BatchGetCommand).resolves({ Responses: { state: [{ pk: 'NS#1', sk: 'STATE', version: 2 }], idem: [] } });

    // Act
    const found = await batchGetAll({
      idem: { keys: [{ eventId: 'evt-1' }], consistent: true },
      state: { keys: [{ pk: 'NS#1', sk: 'STATE' }], consistent: true },
      empty: { keys: [] },
    });

    // Assess
    expect(sent()).toEqual([
      {
        RequestItems: {
          idem: { Keys: [{ eventId: 'evt-1' }], ConsistentRead: true },
          state: { Keys: [{ pk: 'NS#1', sk: 'STATE' }], ConsistentRead: true },
        },
      },
    ]);
    expect(found).toEqual({ idem: [], state: [{ pk: 'NS#1', sk: 'STATE', version: 2 }], empty: [] });
  });

  it('reads only the attributes asked for, with aliased names (reserved words included)', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { errors: [{ pk: 'ERR#1', status: 'open' }] } });

    const found = await batchGetAll({ errors: { keys: [{ pk: 'ERR#1', sk: 'RECORD' }], consistent: true, attributes: ['pk', 'status', 'payload.asOf', 'payload.status'] } });

    expect(sent()).toEqual([
      {
        RequestItems: {
          errors: { Keys: [{ pk: 'ERR#1', sk: 'RECORD' }], ConsistentRead: true, ProjectionExpression: '#a0, #a1, #a2.#a3, #a2.#a1', ExpressionAttributeNames: { '#a0': 'pk', '#a1': 'status', '#a2': 'payload', '#a3': 'asOf' } },
        },
      },
    ]);
    expect(found.errors).toEqual([{ pk: 'ERR#1', status: 'open' }]);
  });

  it('asks again for the keys DynamoDB left unprocessed, and only for those', async () => {
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { state: [{ pk: 'A', sk: 'S' }] },
        UnprocessedKeys: { state: { Keys: [{ pk: 'B', sk: 'S' }], ConsistentRead: true } },
      })
      .resolves({ Responses: { state: [{ pk: 'B', sk: 'S' }] } });

    const found = await batchGetAll({ state: { keys: [{ pk: 'A', sk: 'S' }, { pk: 'B', sk: 'S' }], consistent: true } }, noWait);

    expect(sent()).toEqual([
      { RequestItems: { state: { Keys: [{ pk: 'A', sk: 'S' }, { pk: 'B', sk: 'S' }], ConsistentRead: true } } },
      { RequestItems: { state: { Keys: [{ pk: 'B', sk: 'S' }], ConsistentRead: true } } },
    ]);
    expect(found.state).toEqual([{ pk: 'A', sk: 'S' }, { pk: 'B', sk: 'S' }]);
  });

  it('throws StoreUnavailableError once the keys stayed unprocessed for every attempt', async () => {
    ddbMock.on(BatchGetCommand).resolves({ UnprocessedKeys: { state: { Keys: [{ pk: 'A', sk: 'S' }] } } });

    await expect(batchGetAll({ state: { keys: [{ pk: 'A', sk: 'S' }] } }, { ...noWait, maxAttempts: 3 })).rejects.toBeInstanceOf(StoreUnavailableError);

    expect(sent()).toHaveLength(3);
  });

  it('sends at most 100 keys a call', async () => {
    ddbMock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: unknown[] }> }) => ({
      Responses: Object.fromEntries(Object.entries(input.RequestItems).map(([table, { Keys }]) => [table, Keys])),
    }));
    const keys = Array.from({ length: 250 }, (_, i) => ({ pk: `K#${i}`, sk: 'S' }));

    const found = await batchGetAll({ state: { keys } });

    expect(sent().map((input) => input.RequestItems!.state!.Keys!.length)).toEqual([100, 100, 50]);
    expect(sent()[0]!.RequestItems!.state!.ConsistentRead).toBe(false);
    expect(found.state).toHaveLength(250);
  });

  it('asks for the consumed capacity and reports it once per call', async () => {
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { state: [] }, UnprocessedKeys: { state: { Keys: [{ pk: 'A', sk: 'S' }] } }, ConsumedCapacity: [{ TableName: 'state', CapacityUnits: 1.5 }] })
      .resolves({ Responses: { state: [] }, ConsumedCapacity: [{ TableName: 'state', CapacityUnits: 0.5 }] });
    const reported: unknown[] = [];

    await batchGetAll({ state: { keys: [{ pk: 'A', sk: 'S' }] } }, { ...noWait, onConsumedCapacity: (consumed) => reported.push(consumed) });

    expect(sent().every((input) => input.ReturnConsumedCapacity === 'TOTAL')).toBe(true);
    expect(reported).toEqual([[{ TableName: 'state', CapacityUnits: 1.5 }], [{ TableName: 'state', CapacityUnits: 0.5 }]]);
  });

  it('sends nothing when there is no key to read', async () => {
    await expect(batchGetAll({ state: { keys: [] } })).resolves.toEqual({ state: [] });
    expect(sent()).toHaveLength(0);
  });

  it('translates a throttled call into StoreUnavailableError', async () => {
    ddbMock.on(BatchGetCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    await expect(batchGetAll({ state: { keys: [{ pk: 'A', sk: 'S' }] } })).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('sends with the client it is given', async () => {
    const own = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
    ddbMock.on(BatchGetCommand).resolves({ Responses: { state: [] } });
    await batchGetAll({ state: { keys: [{ pk: 'A', sk: 'S' }] } }, { client: own });
    expect(ddbMock.call(0).thisValue).toBe(own);
  });
});
