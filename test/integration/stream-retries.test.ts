/**
 * The local stream poller on DynamoDB Local's real stream: a record its consumer always fails is
 * isolated by bisect, retried exactly the mapping's number of times, then given up to the
 * dead-letter destination with its sequence numbers (the checkpoint moves past it, the records
 * around it are delivered), and a restart from the checkpoint file does not deliver anything again.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localClient } from '../../local/dynamodb.js';
import type { LocalFunction } from '../../local/functions.js';
import { DEAD_LETTER_FILE, StreamPoller } from '../../local/streams.js';
import type { FunctionSpec } from '../../shared/service/manifest.js';
import { functionSettings } from '../../shared/service/manifest.js';

const endpoint = inject('dynamoEndpoint');
const tableName = `stream-retries-${randomUUID().slice(0, 8)}`;
const ddb = localClient(endpoint);
let dir: string;

interface Delivered {
  Records: Array<{ dynamodb: { Keys: { pk: { S: string } }; SequenceNumber: string } }>;
}

/** A consumer that throws whenever its batch holds the `poison` item, and counts what it saw. */
function consumer() {
  const spec: FunctionSpec = { name: 'outbox-publisher', description: 'x', entry: 'x', triggers: [], tables: {} };
  const calls: string[][] = [];
  const delivered: string[] = [];
  const sequences = new Map<string, string>();
  const fn: LocalFunction = {
    spec,
    settings: functionSettings(spec),
    invoke: async (event) => {
      const records = (event as Delivered).Records;
      const keys = records.map((r) => r.dynamodb.Keys.pk.S);
      for (const r of records) sequences.set(r.dynamodb.Keys.pk.S, r.dynamodb.SequenceNumber);
      calls.push(keys);
      if (keys.includes('poison')) throw new Error('cannot publish the poison change');
      delivered.push(...keys);
      return { batchItemFailures: [] };
    },
  };
  return { fn, calls, delivered, sequences };
}

const poller = (fn: LocalFunction, logs: Array<{ message: string; fields?: Record<string, unknown> }>) =>
  new StreamPoller({
    endpoint,
    sources: [{ tableName, fn, batchSize: 8, bisectBatchOnError: true, maximumRetryAttempts: 2 }],
    checkpointFile: path.join(dir, 'stream-checkpoints.json'),
    pollIntervalMs: 20,
    retryDelayMs: () => 10,
    log: (level, message, fields) => void (level === 'error' && logs.push({ message, fields })),
  });

/** Waits for the poller to go idle until `done` holds (the stream may answer a first read empty). */
async function runUntil(p: StreamPoller, done: () => boolean): Promise<void> {
  p.start();
  for (let pass = 0; pass < 50 && !done(); pass++) await p.idle();
  await p.idle();
  await p.stop();
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'stream-retries-'));
  await ddb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  // Conditional puts: each item is new.
  for (const pk of ['a', 'b', 'c', 'poison', 'd', 'e']) {
    await ddb.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: pk } }, ConditionExpression: 'attribute_not_exists(pk)' }));
  }
});

afterAll(async () => {
  await ddb.send(new DeleteTableCommand({ TableName: tableName }));
  ddb.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('Class: StreamPoller on DynamoDB Local', () => {
  it('gives up the poison record after 1 + 2 invocations of it alone, delivers the others once, and does not deliver again after a restart', async () => {
    const { fn, calls, delivered, sequences } = consumer();
    const logs: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const first = poller(fn, logs);
    await runUntil(first, () => first.deadLetters.length > 0 && delivered.length >= 5);

    expect(delivered).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(calls.filter((keys) => keys.length === 1 && keys[0] === 'poison')).toHaveLength(3);
    expect(first.deadLetters).toHaveLength(1);
    const [letter] = first.deadLetters;
    expect(letter).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: { functionError: 'Unhandled' },
      DDBStreamBatchInfo: { startSequenceNumber: sequences.get('poison'), endSequenceNumber: sequences.get('poison'), batchSize: 1 },
    });
    expect(letter!.DDBStreamBatchInfo.streamArn).toContain(`table/${tableName}/stream/`);
    expect(readFileSync(path.join(dir, DEAD_LETTER_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l))).toEqual(first.deadLetters);
    expect(logs).toContainEqual({
      message: expect.stringContaining('given up'),
      fields: expect.objectContaining({ function: 'outbox-publisher', shardId: letter!.DDBStreamBatchInfo.shardId, startSequenceNumber: sequences.get('poison') }),
    });

    const again = consumer();
    const second = poller(again.fn, []);
    await runUntil(second, () => false);
    expect(again.calls).toEqual([]);
    expect(second.deadLetters).toEqual([]);
  });
});
