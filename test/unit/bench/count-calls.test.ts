import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { HttpRequest } from '@smithy/types';
import { afterEach, describe, expect, it } from 'vitest';
import { countDynamoDbCalls } from '../../../bench/count-calls.js';
import type { CallCounter } from '../../../bench/count-calls.js';

interface FakeAnswer {
  status: number;
  body: unknown;
}

/**
 * A real DynamoDBClient whose HTTP layer is replaced: it answers each request with the next answer
 * (the last one repeats) and records the operation of every request that reached it — the truth the
 * counter is checked against.
 */
function fakeDynamoDb(answers: FakeAnswer[] = [{ status: 200, body: {} }]) {
  const received: string[] = [];
  const client = new DynamoDBClient({
    region: 'eu-west-1',
    endpoint: 'http://dynamodb.test',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 2,
    requestHandler: {
      handle: async (request: HttpRequest) => {
        received.push(String(request.headers['x-amz-target']).split('.').pop() ?? '');
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
  return { client, received };
}

const key = { pk: { S: 'NS#1' }, sk: { S: 'STATE' } };

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
    expect(counter.counts()).toEqual({ requests: 3, sends: 3, byOperation: { GetItem: 2, PutItem: 1 } });
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
    expect(counter.counts()).toEqual({ requests: 2, sends: 1, byOperation: { GetItem: 2 } });
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
    expect(counter.counts()).toEqual({ requests: 1, sends: 1, byOperation: { GetItem: 1 } });
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
    expect(afterReset).toEqual({ requests: 1, sends: 1, byOperation: { PutItem: 1 } });
    expect(counter.counts()).toEqual(afterReset);
    expect(other.counts()).toEqual({ requests: 3, sends: 3, byOperation: { GetItem: 1, PutItem: 2 } });
    expect(received).toHaveLength(3);
  });
});
