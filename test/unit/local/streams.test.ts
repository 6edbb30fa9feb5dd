/**
 * The local stream poller applies the event source mapping's settings as Lambda does: retries
 * counted and limited, bisect on a function error, partial batch failures, a maximum record age, and
 * a dead-letter destination holding the failure record (a pointer, as an SQS on-failure destination
 * gets it). DynamoDB Streams is an in-memory fake shard behind aws-sdk-client-mock; the function is
 * a fake LocalFunction that fails for the records it is told to.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { GetShardIteratorCommandInput, _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalFunction } from '../../../local/functions.js';
import { DEAD_LETTER_FILE, StreamPoller, streamSourceSettings } from '../../../local/streams.js';
import type { StreamFailureRecord, StreamSource } from '../../../local/streams.js';
import type { FunctionSpec } from '../../../shared/service/manifest.js';
import { STREAM_CONSUMER_DEFAULTS, functionSettings } from '../../../shared/service/manifest.js';

const STREAM_ARN = 'arn:aws:dynamodb:ddblocal:000000000000:table/state/stream/2026-01-01T00:00:00.000';
const SHARD_ID = 'shardId-00000001-aaaa';
const T0 = new Date('2026-03-04T10:00:00Z');

const ddbMock = mockClient(DynamoDBClient);
const streamsMock = mockClient(DynamoDBStreamsClient);

/** One open shard holding `count` records, `seq(i)` their sequence numbers, one second apart from T0. */
function fakeShard(count: number) {
  const records: StreamRecord[] = Array.from({ length: count }, (_, i) => ({
    eventID: `e${i}`,
    eventName: 'INSERT',
    dynamodb: {
      SequenceNumber: seq(i),
      ApproximateCreationDateTime: new Date(T0.getTime() + i * 1000),
      Keys: { pk: { S: `k${i}` } },
    },
  }));
  ddbMock.on(DescribeTableCommand).resolves({ Table: { TableName: 'state', LatestStreamArn: STREAM_ARN } });
  streamsMock.on(DescribeStreamCommand).resolves({ StreamDescription: { StreamArn: STREAM_ARN, Shards: [{ ShardId: SHARD_ID }] } });
  streamsMock.on(GetShardIteratorCommand).callsFake((input: GetShardIteratorCommandInput) => {
    const at = input.ShardIteratorType === 'AFTER_SEQUENCE_NUMBER' ? records.findIndex((r) => r.dynamodb!.SequenceNumber === input.SequenceNumber) + 1 : 0;
    return { ShardIterator: `it:${at}` };
  });
  streamsMock.on(GetRecordsCommand).callsFake((input: { ShardIterator: string; Limit?: number }) => {
    const at = Number(input.ShardIterator.slice(3));
    const batch = records.slice(at, at + (input.Limit ?? 1000));
    return { Records: batch, NextShardIterator: `it:${at + batch.length}` };
  });
  return records;
}

const seq = (i: number) => String(100_000_000 + i * 10).padStart(21, '0');
const keyOf = (r: { dynamodb: { Keys: { pk: { S: string } } } }) => Number(r.dynamodb.Keys.pk.S.slice(1));

/** A stream handler that fails for the records in `poison`: by throwing, or by reporting them. */
function fakeFunction(poison: ReadonlySet<number>, how: 'throw' | 'report') {
  const spec: FunctionSpec = { name: 'outbox-publisher', description: 'x', entry: 'x', triggers: [], tables: {} };
  const calls: number[][] = [];
  const delivered: number[] = [];
  const fn: LocalFunction = {
    spec,
    settings: functionSettings(spec),
    invoke: async (event) => {
      const batch = (event as { Records: Array<{ dynamodb: { Keys: { pk: { S: string } }; SequenceNumber: string } }> }).Records;
      const keys = batch.map(keyOf);
      calls.push(keys);
      const bad = batch.filter((r) => poison.has(keyOf(r)));
      if (bad.length && how === 'throw') throw new TypeError(`record k${keyOf(bad[0]!)} is poison`);
      // A handler reporting failures handles the records before the first failed one.
      const firstBad = bad.length ? keys.indexOf(keyOf(bad[0]!)) : keys.length;
      delivered.push(...keys.slice(0, firstBad));
      return { batchItemFailures: bad.map((r) => ({ itemIdentifier: r.dynamodb.SequenceNumber })) };
    },
  };
  return { fn, calls, delivered };
}

const logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];

async function drain(source: Omit<StreamSource, 'tableName'>, options: { checkpointFile?: string; now?: () => Date } = {}) {
  const poller = new StreamPoller({
    endpoint: 'http://127.0.0.1:1',
    sources: [{ tableName: 'state', ...source }],
    pollIntervalMs: 1,
    retryDelayMs: () => 0,
    log: (level, message, fields) => void logs.push({ level, message, fields }),
    ...options,
  });
  poller.start();
  await poller.idle();
  await poller.stop();
  return poller;
}

beforeEach(() => {
  ddbMock.reset();
  streamsMock.reset();
  logs.length = 0;
});

afterEach(() => {
  ddbMock.reset();
  streamsMock.reset();
});

describe('Function: streamSourceSettings', () => {
  it('takes the stack’s mapping settings unless the source says otherwise', () => {
    const { fn } = fakeFunction(new Set(), 'throw');
    expect(streamSourceSettings({ tableName: 't', fn, batchSize: 25 })).toEqual({
      batchSize: 25,
      bisectBatchOnError: STREAM_CONSUMER_DEFAULTS.bisectBatchOnError,
      maximumRetryAttempts: 10,
      maximumRecordAgeSeconds: -1,
      reportBatchItemFailures: true,
    });
    expect(streamSourceSettings({ tableName: 't', fn, batchSize: 5, maximumRetryAttempts: 2, bisectBatchOnError: false }).maximumRetryAttempts).toBe(2);
  });
});

describe('Class: StreamPoller', () => {
  it('retries a batch that always fails exactly maximumRetryAttempts times, gives it up with its sequence numbers, and delivers the records after it', async () => {
    const records = fakeShard(6);
    const { fn, calls, delivered } = fakeFunction(new Set([2]), 'throw');
    const poller = await drain({ fn, batchSize: 3, bisectBatchOnError: false, maximumRetryAttempts: 4 });

    // The batch [0, 1, 2] is invoked 1 + 4 times, then the next batch once.
    expect(calls).toEqual([...Array.from({ length: 5 }, () => [0, 1, 2]), [3, 4, 5]]);
    expect(delivered).toEqual([3, 4, 5]);
    expect(poller.deadLetters).toEqual([
      {
        version: '1.0',
        timestamp: expect.any(String),
        requestContext: {
          requestId: expect.any(String),
          functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:ProvisioningService-outbox-publisher',
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: 5,
        },
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        DDBStreamBatchInfo: {
          shardId: SHARD_ID,
          startSequenceNumber: records[0]!.dynamodb!.SequenceNumber!,
          endSequenceNumber: records[2]!.dynamodb!.SequenceNumber!,
          approximateArrivalOfFirstRecord: '2026-03-04T10:00:00Z',
          approximateArrivalOfLastRecord: '2026-03-04T10:00:02Z',
          batchSize: 3,
          streamArn: STREAM_ARN,
        },
      } satisfies StreamFailureRecord,
    ]);
    expect(poller.counters).toMatchObject({ records: 3, deadLettered: 3 });
    expect(logs.find((l) => l.level === 'error')).toMatchObject({
      fields: { function: 'outbox-publisher', shardId: SHARD_ID, startSequenceNumber: seq(0), endSequenceNumber: seq(2), condition: 'RetryAttemptsExhausted' },
    });
  });

  it('retries a reported failure from the failed record on, and gives up only the records from it', async () => {
    fakeShard(5);
    const { fn, calls, delivered } = fakeFunction(new Set([1]), 'report');
    const poller = await drain({ fn, batchSize: 3, maximumRetryAttempts: 2 });

    // [0, 1, 2]: 0 is checkpointed; [1, 2] is retried twice; then reading goes on after 2.
    expect(calls).toEqual([[0, 1, 2], [1, 2], [1, 2], [3, 4]]);
    expect(delivered).toEqual([0, 3, 4]);
    expect(poller.deadLetters).toHaveLength(1);
    expect(poller.deadLetters[0]).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST' },
      DDBStreamBatchInfo: { startSequenceNumber: seq(1), endSequenceNumber: seq(2), batchSize: 2 },
    });
    expect(poller.deadLetters[0]!.responseContext).not.toHaveProperty('functionError');
  });

  it('bisects a failing batch down to the poison record, which alone is retried and given up', async () => {
    fakeShard(8);
    const { fn, calls, delivered } = fakeFunction(new Set([5]), 'throw');
    const poller = await drain({ fn, batchSize: 8, bisectBatchOnError: true, maximumRetryAttempts: 2 });

    expect(calls).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7],
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [4, 5],
      [4],
      [5],
      [5],
      [5],
      [6, 7],
    ]);
    expect(delivered).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(poller.deadLetters.map((d) => d.DDBStreamBatchInfo)).toEqual([
      expect.objectContaining({ startSequenceNumber: seq(5), endSequenceNumber: seq(5), batchSize: 1 }),
    ]);
    expect(poller.deadLetters[0]!.requestContext.approximateInvokeCount).toBe(3);
  });

  it('gives up records older than the maximum age without invoking the function', async () => {
    fakeShard(4);
    const { fn, calls, delivered } = fakeFunction(new Set(), 'throw');
    // Records 0 and 1 arrived more than 60 s before "now"; 2 and 3 did not.
    const poller = await drain({ fn, batchSize: 10, maximumRecordAgeSeconds: 60 }, { now: () => new Date(T0.getTime() + 62_000) });

    expect(calls).toEqual([[2, 3]]);
    expect(delivered).toEqual([2, 3]);
    expect(poller.deadLetters).toHaveLength(1);
    expect(poller.deadLetters[0]).toMatchObject({
      requestContext: { condition: 'RecordAgeExceeded', approximateInvokeCount: 0 },
      DDBStreamBatchInfo: { startSequenceNumber: seq(0), endSequenceNumber: seq(1), batchSize: 2 },
    });
    expect(poller.deadLetters[0]).not.toHaveProperty('responseContext');
  });

  it('appends each failure record to the dead-letter file beside the checkpoint, and keeps the checkpoint past it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'streams-'));
    try {
      fakeShard(3);
      const { fn } = fakeFunction(new Set([0]), 'throw');
      const checkpointFile = path.join(dir, 'stream-checkpoints.json');
      const poller = await drain({ fn, batchSize: 1, maximumRetryAttempts: 0 }, { checkpointFile });

      const lines = readFileSync(path.join(dir, DEAD_LETTER_FILE), 'utf8').trim().split('\n');
      expect(lines.map((l) => JSON.parse(l))).toEqual(poller.deadLetters);
      expect(poller.deadLetters[0]!.requestContext.approximateInvokeCount).toBe(1);
      expect(JSON.parse(readFileSync(checkpointFile, 'utf8'))).toEqual({ [STREAM_ARN]: { [SHARD_ID]: seq(2) } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('retries without limit when maximumRetryAttempts is -1, until the handler succeeds', async () => {
    fakeShard(2);
    let failuresLeft = 12;
    const spec: FunctionSpec = { name: 'outbox-publisher', description: 'x', entry: 'x', triggers: [], tables: {} };
    const calls: number[] = [];
    const fn: LocalFunction = {
      spec,
      settings: functionSettings(spec),
      invoke: async (event) => {
        calls.push((event as { Records: unknown[] }).Records.length);
        if (failuresLeft-- > 0) throw new Error('bus unavailable');
        return { batchItemFailures: [] };
      },
    };
    const poller = await drain({ fn, batchSize: 2, bisectBatchOnError: false, maximumRetryAttempts: -1 });
    expect(calls).toHaveLength(13);
    expect(poller.deadLetters).toEqual([]);
    expect(poller.counters.records).toBe(2);
  });

  it('property: every record is delivered or covered by exactly one dead letter, in stream order; with bisect, only poison records are given up', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        fc.constantFrom<'throw' | 'report'>('throw', 'report'),
        fc.uniqueArray(fc.integer({ min: 0, max: 11 }), { maxLength: 4 }),
        async (count, batchSize, maximumRetryAttempts, bisectBatchOnError, how, poisonKeys) => {
          ddbMock.reset();
          streamsMock.reset();
          fakeShard(count);
          const poison = new Set(poisonKeys.filter((k) => k < count));
          const { fn, delivered } = fakeFunction(poison, how);
          const poller = await drain({ fn, batchSize, bisectBatchOnError, maximumRetryAttempts });

          const given = poller.deadLetters.flatMap((d) => {
            const from = Number(d.DDBStreamBatchInfo.startSequenceNumber);
            const to = Number(d.DDBStreamBatchInfo.endSequenceNumber);
            const keys = Array.from({ length: count }, (_, i) => i).filter((i) => Number(seq(i)) >= from && Number(seq(i)) <= to);
            expect(keys).toHaveLength(d.DDBStreamBatchInfo.batchSize);
            expect(d.requestContext.approximateInvokeCount).toBe(maximumRetryAttempts + 1);
            return keys;
          });
          expect(new Set(delivered).size).toBe(delivered.length);
          // Each record once, either delivered or given up, in stream order; no poison record delivered.
          expect([...new Set([...delivered, ...given])].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
          expect(delivered.filter((k) => given.includes(k))).toEqual([]);
          expect(delivered.filter((k) => poison.has(k))).toEqual([]);
          expect(given).toEqual([...given].sort((a, b) => a - b));
          for (const k of poison) expect(given).toContain(k);
          if (bisectBatchOnError && how === 'throw') expect(given.sort((a, b) => a - b)).toEqual([...poison].sort((a, b) => a - b));
        },
      ),
      { numRuns: 60 },
    );
  });
});
