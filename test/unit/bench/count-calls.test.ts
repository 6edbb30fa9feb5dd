import { AsyncLocalStorage } from 'node:async_hooks';
import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { GetItemCommandInput } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { HttpRequest } from '@smithy/types';
import { afterEach, describe, expect, it } from 'vitest';
import { consumedUnits, countDynamoDbCalls, countGateCalls, itemSize, sizedWriteUnits } from '../../../bench/count-calls.js';
import type { GateCall } from '../../../bench/count-calls.js';
import type { CallCounter } from '../../../bench/count-calls.js';

interface FakeAnswer {
  status: number;
  body: unknown;
}

/**
 * A real DynamoDBClient whose HTTP layer is replaced: it answers each request with the next answer
 * (the last one repeats) and records the operation and the body of every request that reached it —
 * the truth the counter is checked against.
 */
function fakeDynamoDb(answers: FakeAnswer[] = [{ status: 200, body: {} }]) {
  const received: string[] = [];
  const bodies: Array<Record<string, unknown>> = [];
  const client = new DynamoDBClient({
    region: 'eu-west-1',
    endpoint: 'http://dynamodb.test',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 2,
    requestHandler: {
      handle: async (request: HttpRequest) => {
        received.push(String(request.headers['x-amz-target']).split('.').pop() ?? '');
        const body = request.body as string | Uint8Array;
        bodies.push(JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body)) as Record<string, unknown>);
        const answer = answers[Math.min(received.length - 1, answers.length - 1)]!;
        return {
          response: {
            statusCode: answer.status,
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: new TextEncoder().encode(JSON.stringify(answer.body)),
          },
        };
      },
    },
  });
  return { client, received, bodies };
}

const key = { pk: { S: 'NS#1' }, sk: { S: 'STATE' } };
/** What a counter reads from answers that carry no ConsumedCapacity, `puts` small PutItems answered. */
const noUnits = { readUnits: 0, writeUnits: 0, sizedWriteUnits: 0, transactItems: 0 };
const unitsOfPuts = (puts: number) => ({ ...noUnits, sizedWriteUnits: puts });

describe('Function: countDynamoDbCalls', () => {
  const counters: CallCounter[] = [];
  const track = (counter: CallCounter) => (counters.push(counter), counter);

  afterEach(() => {
    for (const counter of counters.splice(0)) counter.detach();
  });

  it('counts one request per call, by the operation sent on the wire', async () => {
    // Prepare
    const { client, received } = fakeDynamoDb();
    const counter = track(countDynamoDbCalls(client));

    // Act
    await client.send(new GetItemCommand({ TableName: 'state', Key: key }));
    await client.send(new GetItemCommand({ TableName: 'state', Key: key }));
    await client.send(new PutItemCommand({ TableName: 'state', Item: key }));

    // Assess
    expect(received).toEqual(['GetItem', 'GetItem', 'PutItem']);
    expect(counter.counts()).toEqual({ requests: 3, sends: 3, byOperation: { GetItem: 2, PutItem: 1 }, ...unitsOfPuts(1) });
  });

  it('counts the calls of a document client built on the counted client (they share one stack)', async () => {
    // Prepare
    const { client, received } = fakeDynamoDb([{ status: 200, body: { Responses: {} } }]);
    const counter = track(countDynamoDbCalls(client));
    const documents = DynamoDBDocumentClient.from(client);

    // Act
    await documents.send(new BatchGetCommand({ RequestItems: { state: { Keys: [{ pk: 'NS#1', sk: 'STATE' }] } } }));
    await documents.send(
      new TransactWriteCommand({ TransactItems: [{ Put: { TableName: 'state', Item: { pk: 'NS#1', sk: 'STATE', version: 1 } } }] }),
    );

    // Assess
    expect(received).toEqual(['BatchGetItem', 'TransactWriteItems']);
    expect(counter.counts().byOperation).toEqual({ BatchGetItem: 1, TransactWriteItems: 1 });
  });

  it('counts a retried call as two requests and one send', async () => {
    // Prepare: the first answer is a retryable server error
    const { client, received } = fakeDynamoDb([
      { status: 500, body: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'try again' } },
      { status: 200, body: {} },
    ]);
    const counter = track(countDynamoDbCalls(client));

    // Act
    await client.send(new GetItemCommand({ TableName: 'state', Key: key }));

    // Assess
    expect(received).toHaveLength(2);
    expect(counter.counts()).toEqual({ requests: 2, sends: 1, byOperation: { GetItem: 2 }, ...noUnits });
  });

  it('counts a failed call too: the request reached DynamoDB', async () => {
    // Prepare
    const { client } = fakeDynamoDb([
      { status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', message: 'no table' } },
    ]);
    const counter = track(countDynamoDbCalls(client));

    // Act
    const sent = client.send(new GetItemCommand({ TableName: 'missing', Key: key }));

    // Assess
    await expect(sent).rejects.toThrow('no table');
    expect(counter.counts()).toEqual({ requests: 1, sends: 1, byOperation: { GetItem: 1 }, ...noUnits });
  });

  it('starts again from zero after reset and stops counting once detached', async () => {
    // Prepare
    const { client, received } = fakeDynamoDb();
    const counter = track(countDynamoDbCalls(client));
    const other = track(countDynamoDbCalls(client));
    await client.send(new GetItemCommand({ TableName: 'state', Key: key }));

    // Act
    counter.reset();
    await client.send(new PutItemCommand({ TableName: 'state', Item: key }));
    const afterReset = counter.counts();
    counter.detach();
    await client.send(new PutItemCommand({ TableName: 'state', Item: key }));

    // Assess
    expect(afterReset).toEqual({ requests: 1, sends: 1, byOperation: { PutItem: 1 }, ...unitsOfPuts(1) });
    expect(counter.counts()).toEqual(afterReset);
    expect(other.counts()).toEqual({ requests: 3, sends: 3, byOperation: { GetItem: 1, PutItem: 2 }, ...unitsOfPuts(2) });
    expect(received).toHaveLength(3);
  });
});

describe('Function: countDynamoDbCalls, consumed capacity', () => {
  const counters: CallCounter[] = [];
  const track = (counter: CallCounter) => (counters.push(counter), counter);

  afterEach(() => {
    for (const counter of counters.splice(0)) counter.detach();
  });

  it('asks for the total consumed capacity on every call, without changing the caller\'s input', async () => {
    // Prepare
    const { client, bodies } = fakeDynamoDb();
    track(countDynamoDbCalls(client));
    const input: GetItemCommandInput = { TableName: 'state', Key: key };

    // Act
    await client.send(new GetItemCommand(input));

    // Assess
    expect(bodies[0]).toMatchObject({ TableName: 'state', ReturnConsumedCapacity: 'TOTAL' });
    expect(input).toEqual({ TableName: 'state', Key: key });
  });

  it('keeps what the caller asked for itself (INDEXES, NONE)', async () => {
    // Prepare
    const { client, bodies } = fakeDynamoDb();
    track(countDynamoDbCalls(client));

    // Act
    await client.send(new GetItemCommand({ TableName: 'state', Key: key, ReturnConsumedCapacity: 'INDEXES' }));
    await client.send(new GetItemCommand({ TableName: 'state', Key: key, ReturnConsumedCapacity: 'NONE' }));

    // Assess
    expect(bodies.map((body) => body.ReturnConsumedCapacity)).toEqual(['INDEXES', 'NONE']);
  });

  it("sums DynamoDB Local's answers (CapacityUnits only: one object, or one per table) by the operation's kind", async () => {
    // Prepare: answers shaped as DynamoDB Local's (CapacityUnits only; one entry per table for batches and transactions)
    const { client } = fakeDynamoDb([
      { status: 200, body: { ConsumedCapacity: [{ TableName: 'idempotency', CapacityUnits: 0 }, { TableName: 'state', CapacityUnits: 1 }], Responses: {} } },
      { status: 200, body: { ConsumedCapacity: [{ TableName: 'idempotency', CapacityUnits: 2 }, { TableName: 'state', CapacityUnits: 6 }] } },
      { status: 200, body: { ConsumedCapacity: { TableName: 'state', CapacityUnits: 1.5 }, Items: [], Count: 0, ScannedCount: 0 } },
      { status: 200, body: { ConsumedCapacity: { TableName: 'state', CapacityUnits: 2 } } },
    ]);
    const counter = track(countDynamoDbCalls(client));
    const documents = DynamoDBDocumentClient.from(client);

    // Act
    await documents.send(new BatchGetCommand({ RequestItems: { state: { Keys: [{ pk: 'NS#1', sk: 'STATE' }] }, idempotency: { Keys: [{ eventId: 'e-1' }] } } }));
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: 'state', Item: { pk: 'NS#1', sk: 'STATE', version: 1 } } },
          { Put: { TableName: 'state', Item: { pk: 'NS#1', sk: 'HIST#1' } } },
          { Put: { TableName: 'idempotency', Item: { eventId: 'e-1' } } },
        ],
      }),
    );
    await client.send(new QueryCommand({ TableName: 'state', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'NS#1' } } }));
    await client.send(new PutItemCommand({ TableName: 'state', Item: key }));

    // Assess: BatchGetItem 1 + Query 1.5 read; TransactWriteItems 8 + PutItem 2 write
    expect(counter.counts()).toEqual({
      requests: 4,
      sends: 4,
      byOperation: { BatchGetItem: 1, TransactWriteItems: 1, Query: 1, PutItem: 1 },
      readUnits: 2.5,
      writeUnits: 10,
      // The items as sent: three small Puts in a transaction (2 each) and a small PutItem (1)
      sizedWriteUnits: 7,
      transactItems: 3,
    });
  });

  it("takes AWS's split (ReadCapacityUnits, WriteCapacityUnits) when the answer gives it", async () => {
    // Prepare
    const { client } = fakeDynamoDb([
      { status: 200, body: { ConsumedCapacity: { TableName: 'state', CapacityUnits: 0.5, ReadCapacityUnits: 0.5 } } },
      { status: 200, body: { ConsumedCapacity: { TableName: 'state', CapacityUnits: 3, WriteCapacityUnits: 3 } } },
    ]);
    const counter = track(countDynamoDbCalls(client));

    // Act
    await client.send(new GetItemCommand({ TableName: 'state', Key: key }));
    await client.send(new PutItemCommand({ TableName: 'state', Item: key }));

    // Assess
    expect(counter.counts()).toMatchObject({ readUnits: 0.5, writeUnits: 3 });
  });

  it('counts the units of the answered attempt of a retried call only, and starts again from zero after reset', async () => {
    // Prepare: a failed attempt (no capacity in its answer), then the answer
    const { client } = fakeDynamoDb([
      { status: 500, body: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'try again' } },
      { status: 200, body: { ConsumedCapacity: { TableName: 'state', CapacityUnits: 1 } } },
    ]);
    const counter = track(countDynamoDbCalls(client));

    // Act
    await client.send(new GetItemCommand({ TableName: 'state', Key: key, ConsistentRead: true }));
    const retried = counter.counts();
    counter.reset();

    // Assess
    expect(retried).toEqual({ requests: 2, sends: 1, byOperation: { GetItem: 2 }, readUnits: 1, writeUnits: 0, sizedWriteUnits: 0, transactItems: 0 });
    expect(counter.counts()).toEqual({ requests: 0, sends: 0, byOperation: {}, ...noUnits });
  });

  it('counts only the calls `include` accepts, and leaves the others as they were sent', async () => {
    // Prepare: work the process does beside the measured request runs in another async context
    const { client, bodies } = fakeDynamoDb([{ status: 200, body: { ConsumedCapacity: { TableName: 'state', CapacityUnits: 1 } } }]);
    const scope = new AsyncLocalStorage<string>();
    const counter = track(countDynamoDbCalls(client, { include: () => scope.getStore() === 'request' }));

    // Act
    await Promise.all([
      scope.run('request', () => client.send(new PutItemCommand({ TableName: 'state', Item: key }))),
      scope.run('background', () => client.send(new QueryCommand({ TableName: 'state', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'NS#1' } } }))),
      client.send(new GetItemCommand({ TableName: 'state', Key: key })),
    ]);

    // Assess
    expect(counter.counts()).toEqual({ requests: 1, sends: 1, byOperation: { PutItem: 1 }, readUnits: 0, writeUnits: 1, sizedWriteUnits: 1, transactItems: 0 });
    expect(bodies.filter((body) => body.ReturnConsumedCapacity === 'TOTAL')).toHaveLength(1);
  });

  it('stops reading capacity once detached, and leaves later calls as the caller sent them', async () => {
    // Prepare
    const { client, bodies } = fakeDynamoDb([{ status: 200, body: { ConsumedCapacity: { TableName: 'state', CapacityUnits: 1 } } }]);
    const counter = countDynamoDbCalls(client);
    await client.send(new PutItemCommand({ TableName: 'state', Item: key }));

    // Act
    counter.detach();
    await client.send(new PutItemCommand({ TableName: 'state', Item: key }));

    // Assess
    expect(counter.counts()).toMatchObject({ requests: 1, writeUnits: 1 });
    expect(bodies[1]).not.toHaveProperty('ReturnConsumedCapacity');
  });
});

describe('Function: consumedUnits', () => {
  it('splits capacity units into read and write units', () => {
    expect(consumedUnits('GetItem', { TableName: 'state', CapacityUnits: 0.5 })).toEqual({ readUnits: 0.5, writeUnits: 0 });
    expect(consumedUnits('TransactWriteItems', [{ TableName: 'state', CapacityUnits: 6 }, { TableName: 'idempotency', CapacityUnits: 2 }])).toEqual({
      readUnits: 0,
      writeUnits: 8,
    });
    expect(consumedUnits('UpdateItem', { TableName: 'state', CapacityUnits: 3, ReadCapacityUnits: 1, WriteCapacityUnits: 2 })).toEqual({ readUnits: 1, writeUnits: 2 });
    expect(consumedUnits('Query', undefined)).toEqual({ readUnits: 0, writeUnits: 0 });
    expect(consumedUnits('Query', [])).toEqual({ readUnits: 0, writeUnits: 0 });
  });
});

describe('Function: itemSize', () => {
  it("adds up attribute names and values by DynamoDB's rules", () => {
    expect(itemSize({ pk: { S: 'NS#1' }, sk: { S: 'STATE' } })).toBe(2 + 4 + 2 + 5);
    // numbers: 1 byte per two significant digits, plus 1; booleans and null 1
    expect(itemSize({ n: { N: '12345' }, z: { N: '1200.00' }, b: { BOOL: true }, x: { NULL: true } })).toBe(1 + 4 + 1 + 2 + 1 + 1 + 1 + 1);
    // strings in UTF-8 bytes; maps and lists 3 bytes plus 1 per element
    expect(itemSize({ s: { S: 'é' }, m: { M: { a: { S: 'xy' } } }, l: { L: [{ S: 'a' }, { N: '7' }] } })).toBe(1 + 2 + (1 + 3 + 1 + 2 + 1) + (1 + 3 + 2 + 3));
  });
});

describe('Function: sizedWriteUnits', () => {
  /** An item of exactly `bytes` bytes: 'pk' + 'NS#1' + 'd' + the filler. */
  const sized = (bytes: number) => ({ pk: { S: 'NS#1' }, d: { S: 'x'.repeat(bytes - 7) } });

  it('charges each item 1 unit per KB, rounded up per item, and twice that in a transaction', () => {
    expect(sizedWriteUnits('PutItem', { Item: sized(1024) })).toBe(1);
    expect(sizedWriteUnits('PutItem', { Item: sized(1025) })).toBe(2);
    // 34 items of 900 bytes: DynamoDB Local answers 2 units for this transaction
    expect(sizedWriteUnits('TransactWriteItems', { TransactItems: Array.from({ length: 34 }, () => ({ Put: { Item: sized(900) } })) })).toBe(68);
    expect(sizedWriteUnits('TransactWriteItems', { TransactItems: [{ Put: { Item: sized(1500) } }, { Put: { Item: sized(100) } }] })).toBe(6);
    expect(sizedWriteUnits('BatchWriteItem', { RequestItems: { state: [{ PutRequest: { Item: sized(3000) } }, { DeleteRequest: {} }] } })).toBe(4);
  });

  it("sizes a document client's items as they go on the wire (marshalled)", async () => {
    // Prepare
    const { client } = fakeDynamoDb();
    const counter = countDynamoDbCalls(client);
    const documents = DynamoDBDocumentClient.from(client);

    // Act: an item of 2 + 4 + 2 + 5 + 1 + 1500 bytes
    await documents.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: 'state', Item: { pk: 'NS#1', sk: 'STATE', d: 'x'.repeat(1500) } } }] }));
    counter.detach();

    // Assess: 2 KB, twice in a transaction
    expect(counter.counts().sizedWriteUnits).toBe(4);
  });

  it('counts what the request does not show as 1 KB, and reads as nothing', () => {
    expect(sizedWriteUnits('UpdateItem', { Key: {} })).toBe(1);
    expect(sizedWriteUnits('TransactWriteItems', { TransactItems: [{ Update: {} }, { ConditionCheck: {} }] })).toBe(4);
    expect(sizedWriteUnits('Query', {})).toBe(0);
  });
});

describe('Function: countGateCalls', () => {
  it("counts the calls of the functions it is given, with the capacity each answer reports and the items' write units", () => {
    // Arrange: a call source as the runtime's IAM gate is one
    let observer: ((call: GateCall) => void) | undefined;
    const source = { observe: (o: (call: GateCall) => void) => ((observer = o), () => (observer = undefined)) };
    const counter = countGateCalls(source, (fn) => fn === 'subscription-renewed');
    const item = { pk: { S: 'NS#1' }, sk: { S: 'STATE' } };

    // Act
    observer!({ function: 'subscription-renewed', operation: 'BatchGetItem', request: {}, response: { ConsumedCapacity: [{ TableName: 't', CapacityUnits: 1.5 }] }, status: 200 });
    observer!({ function: 'subscription-renewed', operation: 'TransactWriteItems', request: { TransactItems: [{ Put: { Item: item } }, { Put: { Item: item } }] }, response: { ConsumedCapacity: [{ TableName: 't', CapacityUnits: 4 }] }, status: 200 });
    observer!({ function: 'outbox-publisher', operation: 'Query', request: {}, response: {}, status: 200 });
    observer!({ function: 'subscription-renewed', operation: 'TransactWriteItems', request: { TransactItems: [{ Put: { Item: item } }] }, status: 400 });

    // Assert: the failed transaction is a request, with no capacity
    expect(counter.counts()).toEqual({ requests: 3, sends: 3, byOperation: { BatchGetItem: 1, TransactWriteItems: 2 }, readUnits: 1.5, writeUnits: 4, sizedWriteUnits: 4, transactItems: 3 });
    counter.detach();
    expect(observer).toBeUndefined();
  });
});
