/**
 * Feeds DynamoDB Local's table streams to the manifest's stream handlers as the stack's event
 * source mapping does, with the same settings (STREAM_CONSUMER_DEFAULTS, the trigger's batch size):
 *
 * - batches in order per shard, at most `batchSize` records, with a checkpoint per shard (kept in a
 *   file when data is persisted, so a restart goes on where it stopped instead of publishing
 *   everything again);
 * - `reportBatchItemFailures`: the records before the first reported failure are checkpointed and the
 *   batch is retried from that record (a retry);
 * - `bisectBatchOnError`: a batch whose invocation fails (the handler throws) is split in two and
 *   the halves tried in order, down to single records; a split is not a retry, and each half starts
 *   with no retries counted (Lambda: "splitting a batch does not count towards the retry quota");
 * - `maximumRetryAttempts`: once a batch failed 1 + maximumRetryAttempts times (`-1`: no limit), it is
 *   given up: its failure record goes to the dead-letter destination and the checkpoint moves past
 *   it, so the records after it are delivered;
 * - `maximumRecordAgeSeconds`: records older than that (`-1`: no limit) are not invoked; they go to
 *   the dead-letter destination (`RecordAgeExceeded`) and the checkpoint moves past them.
 *
 * The dead-letter destination holds what Lambda sends to an SQS on-failure destination for a
 * stream: the invocation record with `DDBStreamBatchInfo` (shard, first and last sequence numbers,
 * arrival times, batch size, stream ARN), a pointer, not the records; the stream keeps them for 24
 * hours. Locally it is `poller.deadLetters`, plus one JSON line per record appended to
 * `stream-dead-letters.jsonl` beside the checkpoint file when data is persisted, plus an error log
 * line naming the function, the shard and the sequence range.
 *
 * The retry count of a batch goes on across a partial failure that made progress (Lambda's
 * `approximateInvokeCount` does); it starts again after a batch succeeds whole or is given up.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type { _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import type { LocalFunction } from './functions.js';
import { LOCAL_ACCOUNT, functionName } from './functions.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localClient } from './dynamodb.js';
import { sleep } from '../shared/platform/backoff.js';
import { STREAM_CONSUMER_DEFAULTS } from '../shared/platform/manifest-types.js';

/** A table's stream and the function that consumes it, with its event source mapping's settings. */
export interface StreamSource {
  tableName: string;
  fn: LocalFunction;
  /** Records per invocation at most (the trigger's `batchSize`). */
  batchSize: number;
  /** Default STREAM_CONSUMER_DEFAULTS.bisectBatchOnError. */
  bisectBatchOnError?: boolean;
  /** Retries of a failed batch before it is given up; -1: no limit. Default STREAM_CONSUMER_DEFAULTS.maximumRetryAttempts. */
  maximumRetryAttempts?: number;
  /** Records older than this are given up without an invocation; -1: no limit. Default STREAM_CONSUMER_DEFAULTS.maximumRecordAgeSeconds. */
  maximumRecordAgeSeconds?: number;
  /** The handler answers `batchItemFailures`. Default STREAM_CONSUMER_DEFAULTS.reportBatchItemFailures. */
  reportBatchItemFailures?: boolean;
}

export type StreamSourceSettings = Required<Omit<StreamSource, 'tableName' | 'fn'>>;

/**
 * A source's settings, its own or the stack's defaults.
 *
 * @example
 * streamSourceSettings({ tableName, fn, batchSize: 25 }).maximumRetryAttempts // 10
 */
export const streamSourceSettings = (source: StreamSource): StreamSourceSettings => ({
  batchSize: source.batchSize,
  bisectBatchOnError: source.bisectBatchOnError ?? STREAM_CONSUMER_DEFAULTS.bisectBatchOnError,
  maximumRetryAttempts: source.maximumRetryAttempts ?? STREAM_CONSUMER_DEFAULTS.maximumRetryAttempts,
  maximumRecordAgeSeconds: source.maximumRecordAgeSeconds ?? STREAM_CONSUMER_DEFAULTS.maximumRecordAgeSeconds,
  reportBatchItemFailures: source.reportBatchItemFailures ?? STREAM_CONSUMER_DEFAULTS.reportBatchItemFailures,
});

/** What Lambda sends to a stream mapping's on-failure destination for a batch it gave up on. */
export interface StreamFailureRecord {
  version: '1.0';
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    approximateInvokeCount: number;
  };
  /** Absent when the records were given up without an invocation (too old). */
  responseContext?: { statusCode: 200; executedVersion: '$LATEST'; functionError?: 'Unhandled' };
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

/** The dead-letter file's name, beside the checkpoint file. */
export const DEAD_LETTER_FILE = 'stream-dead-letters.jsonl';

interface ShardState {
  shardId: string;
  parentShardId?: string;
  iterator?: string;
  lastSequence?: string;
  closed: boolean;
  /** Sizes of the next batches to read after a split, front first; empty: `batchSize`. */
  pending: number[];
  /** Failed invocations of the batch under way (its first one included). */
  attempts: number;
  /** How the last one failed: the handler threw (`Unhandled`) or reported records. */
  lastFailure?: 'Unhandled' | 'reported';
}

/** How an invocation ended: every record handled, or the index of the first one to retry. */
type Outcome = { ok: true } | { ok: false; failedAt: number; thrown: boolean };

export class StreamPoller {
  private readonly client: DynamoDBStreamsClient;
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly checkpoints: Record<string, Record<string, string>>;
  private idleWaiters: Array<() => void> = [];
  readonly counters = { records: 0, batches: 0, failedBatches: 0, splits: 0, deadLettered: 0 };
  /** Every batch given up on, oldest first: what an SQS on-failure destination would hold. */
  readonly deadLetters: StreamFailureRecord[] = [];

  constructor(
    private readonly options: {
      endpoint: string;
      sources: StreamSource[];
      checkpointFile?: string;
      /** Where failure records are appended as JSON lines. Default: DEAD_LETTER_FILE beside the checkpoint file, if any. */
      deadLetterFile?: string;
      pollIntervalMs?: number;
      /** The wait before retry `attempt` (1-based) of a failed batch. Default: 200 ms doubling up to 5 s. */
      retryDelayMs?: (attempt: number) => number;
      /** The clock records' ages are measured with. */
      now?: () => Date;
      log: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
    },
  ) {
    this.client = new DynamoDBStreamsClient({ endpoint: options.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 2 });
    this.checkpoints = this.readCheckpoints();
  }

  start(): void {
    this.running = true;
    this.loops = this.options.sources.map((source) => this.pollTable(source));
  }

  /** Stops after the batch under way; its checkpoint is kept. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.allSettled(this.loops);
    for (const wake of this.idleWaiters.splice(0)) wake();
    this.client.destroy();
  }

  /** Resolves once every source has read its streams to the end with nothing new (for tests and a clean stop). */
  idle(): Promise<void> {
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private get deadLetterFile(): string | undefined {
    return this.options.deadLetterFile ?? (this.options.checkpointFile && path.join(path.dirname(this.options.checkpointFile), DEAD_LETTER_FILE));
  }

  private readCheckpoints(): Record<string, Record<string, string>> {
    if (!this.options.checkpointFile) return {};
    try {
      return JSON.parse(readFileSync(this.options.checkpointFile, 'utf8')) as Record<string, Record<string, string>>;
    } catch {
      return {};
    }
  }

  private saveCheckpoint(streamArn: string, shard: ShardState, sequence: string): void {
    shard.lastSequence = sequence;
    (this.checkpoints[streamArn] ??= {})[shard.shardId] = sequence;
    if (this.options.checkpointFile) writeFileSync(this.options.checkpointFile, JSON.stringify(this.checkpoints), { mode: 0o600 });
  }

  private async streamArnOf(tableName: string): Promise<string> {
    const ddb = localClient(this.options.endpoint);
    try {
      const table = await ddb.send(new DescribeTableCommand({ TableName: tableName }));
      const arn = table.Table?.LatestStreamArn;
      if (!arn) throw new Error(`table ${tableName} has no stream: its spec must enable one`);
      return arn;
    } finally {
      ddb.destroy();
    }
  }

  private async pollTable(source: StreamSource): Promise<void> {
    const interval = this.options.pollIntervalMs ?? 100;
    const settings = streamSourceSettings(source);
    let streamArn: string | undefined;
    let shards = new Map<string, ShardState>();
    let lastDescribe = 0;
    while (this.running) {
      let sawRecords = false;
      try {
        if (!streamArn) {
          // After DynamoDB Local restarts, the table may carry a new stream: follow it.
          const arn = await this.streamArnOf(source.tableName);
          if (arn !== streamArn) shards = new Map();
          streamArn = arn;
        }
        if (Date.now() - lastDescribe > 2_000 || [...shards.values()].every((s) => s.closed)) {
          await this.discoverShards(streamArn, shards);
          lastDescribe = Date.now();
        }
        for (const shard of shards.values()) {
          if (!this.running) break;
          if (shard.closed || (shard.parentShardId && shards.get(shard.parentShardId)?.closed === false)) continue;
          sawRecords = (await this.pollShard(source, settings, streamArn, shard)) || sawRecords;
        }
      } catch (error) {
        // DynamoDB Local gone or restarted: iterators are void; start again from the checkpoints.
        this.options.log('warn', 'stream poll failed; retrying', { table: source.tableName, errorType: (error as Error).name });
        for (const shard of shards.values()) shard.iterator = undefined;
        streamArn = undefined;
        lastDescribe = 0;
        await sleep(500);
        continue;
      }
      if (!sawRecords) {
        for (const wake of this.idleWaiters.splice(0)) wake();
        await sleep(interval);
      }
    }
  }

  private async discoverShards(streamArn: string, shards: Map<string, ShardState>): Promise<void> {
    let start: string | undefined;
    do {
      const out = await this.client.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }));
      for (const shard of out.StreamDescription?.Shards ?? []) {
        if (!shard.ShardId || shards.has(shard.ShardId)) continue;
        shards.set(shard.ShardId, {
          shardId: shard.ShardId,
          parentShardId: shard.ParentShardId,
          lastSequence: this.checkpoints[streamArn]?.[shard.ShardId],
          closed: false,
          pending: [],
          attempts: 0,
        });
      }
      start = out.StreamDescription?.LastEvaluatedShardId;
    } while (start);
  }

  private async iteratorFor(streamArn: string, shard: ShardState): Promise<string | undefined> {
    const out = await this.client.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shard.shardId,
        ...(shard.lastSequence
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.lastSequence }
          : { ShardIteratorType: STREAM_CONSUMER_DEFAULTS.startingPosition }),
      }),
    );
    return out.ShardIterator;
  }

  /** Reads one batch from a shard and hands it to the function; answers whether there were records. */
  private async pollShard(source: StreamSource, settings: StreamSourceSettings, streamArn: string, shard: ShardState): Promise<boolean> {
    shard.iterator ??= await this.iteratorFor(streamArn, shard);
    if (!shard.iterator) {
      shard.closed = true;
      return false;
    }
    let out;
    try {
      out = await this.client.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: shard.pending[0] ?? settings.batchSize }));
    } catch (error) {
      if (error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException) {
        shard.iterator = undefined;
        return false;
      }
      throw error;
    }
    const records = out.Records ?? [];
    if (!records.length) {
      shard.iterator = out.NextShardIterator;
      if (!shard.iterator) shard.closed = true;
      return false;
    }

    // Records past the maximum age are given up before the function sees them (they lead the batch: it is in order).
    const expired = settings.maximumRecordAgeSeconds < 0 ? 0 : countLeading(records, (r) => this.ageSeconds(r) > settings.maximumRecordAgeSeconds);
    if (expired > 0) {
      this.giveUp(source, streamArn, shard, records.slice(0, expired), 'RecordAgeExceeded');
      return true;
    }

    const outcome = await this.invoke(source, settings, streamArn, records);
    const handled = outcome.ok ? records.length : outcome.failedAt;
    if (handled > 0) {
      this.saveCheckpoint(streamArn, shard, sequenceOf(records[handled - 1]!));
      this.counters.records += handled;
    }
    if (outcome.ok) {
      shard.pending.shift();
      shard.attempts = 0;
      shard.iterator = out.NextShardIterator;
      if (!shard.iterator) shard.closed = true;
      return true;
    }

    const rest = records.slice(outcome.failedAt);
    shard.pending.shift();
    shard.iterator = undefined;
    this.counters.failedBatches++;
    if (outcome.thrown && settings.bisectBatchOnError && rest.length > 1) {
      // Each half is a batch of its own, with no retries counted yet.
      const half = Math.ceil(rest.length / 2);
      shard.pending.unshift(half, rest.length - half);
      shard.attempts = 0;
      this.counters.splits++;
      return true;
    }
    shard.attempts++;
    shard.lastFailure = outcome.thrown ? 'Unhandled' : 'reported';
    if (settings.maximumRetryAttempts >= 0 && shard.attempts > settings.maximumRetryAttempts) {
      this.giveUp(source, streamArn, shard, rest, 'RetryAttemptsExhausted');
      return true;
    }
    // The retry reads the same records again: from the first failed one, as many as failed.
    shard.pending.unshift(rest.length);
    if (shard.attempts % 10 === 0) {
      this.options.log('error', 'stream batch keeps failing; still retrying', {
        function: source.fn.spec.name,
        shardId: shard.shardId,
        sequenceNumber: sequenceOf(rest[0]!),
        attempts: shard.attempts,
      });
    }
    await sleep(this.options.retryDelayMs?.(shard.attempts) ?? Math.min(5_000, 100 * 2 ** Math.min(shard.attempts, 6)));
    return true;
  }

  /** The batch goes to the dead-letter destination and the shard moves on past it. */
  private giveUp(source: StreamSource, streamArn: string, shard: ShardState, records: StreamRecord[], condition: StreamFailureRecord['requestContext']['condition']): void {
    const record = failureRecord(source.fn, streamArn, shard.shardId, records, {
      condition,
      // Records that aged out while their batch was being retried count the invocations so far.
      invocations: shard.attempts,
      functionError: shard.lastFailure,
      now: this.now(),
    });
    this.deadLetters.push(record);
    this.counters.deadLettered += records.length;
    const file = this.deadLetterFile;
    if (file) appendFileSync(file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
    this.options.log('error', 'stream batch given up; its failure record is in the dead-letter destination', {
      function: source.fn.spec.name,
      shardId: shard.shardId,
      startSequenceNumber: record.DDBStreamBatchInfo.startSequenceNumber,
      endSequenceNumber: record.DDBStreamBatchInfo.endSequenceNumber,
      batchSize: records.length,
      condition,
      approximateInvokeCount: record.requestContext.approximateInvokeCount,
      ...(file && { deadLetterFile: file }),
    });
    this.saveCheckpoint(streamArn, shard, record.DDBStreamBatchInfo.endSequenceNumber);
    // Whatever was left of a split is read again from the new checkpoint, at the full batch size.
    shard.pending = [];
    shard.attempts = 0;
    shard.lastFailure = undefined;
    shard.iterator = undefined;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private ageSeconds(record: StreamRecord): number {
    const created = arrivalOf(record);
    return created ? (this.now().getTime() - created.getTime()) / 1000 : 0;
  }

  private async invoke(source: StreamSource, settings: StreamSourceSettings, streamArn: string, records: StreamRecord[]): Promise<Outcome> {
    this.counters.batches++;
    const event = { Records: records.map((r) => toLambdaRecord(r, streamArn)) };
    try {
      const result = (await source.fn.invoke(event)) as { batchItemFailures?: Array<{ itemIdentifier?: string }> } | undefined;
      if (!settings.reportBatchItemFailures) return { ok: true };
      const failures = (result?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
      if (!failures.length) return { ok: true };
      // An identifier that names no record of the batch fails the whole batch, as Lambda does.
      const first = records.findIndex((r) => failures.includes(sequenceOf(r)));
      return { ok: false, failedAt: first < 0 || failures.some((id) => !id) ? 0 : first, thrown: false };
    } catch (error) {
      this.options.log('warn', 'stream handler failed; the batch will be retried', {
        function: source.fn.spec.name,
        batchSize: records.length,
        errorType: (error as Error)?.name,
      });
      return { ok: false, failedAt: 0, thrown: true };
    }
  }
}

const sequenceOf = (record: StreamRecord): string => record.dynamodb!.SequenceNumber!;

const countLeading = <T>(items: readonly T[], test: (item: T) => boolean): number => {
  const first = items.findIndex((item) => !test(item));
  return first < 0 ? items.length : first;
};

function arrivalOf(record: StreamRecord): Date | undefined {
  const created = record.dynamodb?.ApproximateCreationDateTime as Date | number | undefined;
  if (created === undefined) return undefined;
  return created instanceof Date ? created : new Date(created * 1000);
}

const isoSeconds = (at: Date | undefined): string => (at ?? new Date(0)).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The record Lambda puts on a stream mapping's on-failure destination: where the batch is, not the batch. */
function failureRecord(
  fn: LocalFunction,
  streamArn: string,
  shardId: string,
  records: StreamRecord[],
  how: { condition: StreamFailureRecord['requestContext']['condition']; invocations: number; functionError?: 'Unhandled' | 'reported'; now: Date },
): StreamFailureRecord {
  const first = records[0]!;
  const last = records[records.length - 1]!;
  return {
    version: '1.0',
    timestamp: how.now.toISOString(),
    requestContext: {
      requestId: randomUUID(),
      functionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName(fn.spec)}`,
      condition: how.condition,
      approximateInvokeCount: how.invocations,
    },
    ...(how.invocations > 0 && {
      responseContext: { statusCode: 200, executedVersion: '$LATEST', ...(how.functionError === 'Unhandled' && { functionError: 'Unhandled' }) },
    }),
    DDBStreamBatchInfo: {
      shardId,
      startSequenceNumber: sequenceOf(first),
      endSequenceNumber: sequenceOf(last),
      approximateArrivalOfFirstRecord: isoSeconds(arrivalOf(first)),
      approximateArrivalOfLastRecord: isoSeconds(arrivalOf(last)),
      batchSize: records.length,
      streamArn,
    },
  };
}

/** The record shape a Lambda DynamoDB event source mapping delivers. */
function toLambdaRecord(record: StreamRecord, streamArn: string) {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? LOCAL_REGION,
    eventSourceARN: streamArn,
    dynamodb: {
      ...record.dynamodb,
      ApproximateCreationDateTime: created instanceof Date ? Math.floor(created.getTime() / 1000) : created,
    },
  };
}
