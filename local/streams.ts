/**
 * Feeds DynamoDB Local's table streams to the manifest's stream handlers, as a Lambda event source
 * mapping does: batches in order per shard, partial batch failures retried from the first failed
 * record, a checkpoint per shard (kept in a file when data is persisted, so a restart goes on where
 * it stopped instead of publishing everything again).
 */
import { readFileSync, writeFileSync } from 'node:fs';
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
import { LOCAL_CREDENTIALS, LOCAL_REGION, localClient } from './dynamodb.js';
import { sleep } from '../shared/platform/backoff.js';

export interface StreamSource {
  tableName: string;
  batchSize: number;
  fn: LocalFunction;
}

interface ShardState {
  shardId: string;
  parentShardId?: string;
  iterator?: string;
  lastSequence?: string;
  closed: boolean;
  failures: number;
}


export class StreamPoller {
  private readonly client: DynamoDBStreamsClient;
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly checkpoints: Record<string, Record<string, string>>;
  private idleWaiters: Array<() => void> = [];
  readonly counters = { records: 0, batches: 0, failedBatches: 0 };

  constructor(
    private readonly options: {
      endpoint: string;
      sources: StreamSource[];
      checkpointFile?: string;
      pollIntervalMs?: number;
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

  private readCheckpoints(): Record<string, Record<string, string>> {
    if (!this.options.checkpointFile) return {};
    try {
      return JSON.parse(readFileSync(this.options.checkpointFile, 'utf8')) as Record<string, Record<string, string>>;
    } catch {
      return {};
    }
  }

  private saveCheckpoint(streamArn: string, shardId: string, sequence: string): void {
    (this.checkpoints[streamArn] ??= {})[shardId] = sequence;
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
          sawRecords = (await this.pollShard(source, streamArn, shard)) || sawRecords;
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
          failures: 0,
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
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    return out.ShardIterator;
  }

  /** Reads one batch from a shard and hands it to the function; answers whether there were records. */
  private async pollShard(source: StreamSource, streamArn: string, shard: ShardState): Promise<boolean> {
    shard.iterator ??= await this.iteratorFor(streamArn, shard);
    if (!shard.iterator) {
      shard.closed = true;
      return false;
    }
    let out;
    try {
      out = await this.client.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: source.batchSize }));
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
    const failedFrom = await this.invoke(source, streamArn, records);
    const delivered = failedFrom === undefined ? records : records.slice(0, records.findIndex((r) => r.dynamodb?.SequenceNumber === failedFrom));
    if (delivered.length) {
      const last = delivered[delivered.length - 1]!.dynamodb!.SequenceNumber!;
      shard.lastSequence = last;
      this.saveCheckpoint(streamArn, shard.shardId, last);
      this.counters.records += delivered.length;
    }
    if (failedFrom === undefined) {
      shard.failures = 0;
      shard.iterator = out.NextShardIterator;
      if (!shard.iterator) shard.closed = true;
      return true;
    }
    // Retry from the first failed record until it succeeds, as a mapping without a retry limit does:
    // a change is never dropped on the way to its event (a broken publisher shows in the log and
    // in the counters, and delays the shard rather than losing records).
    shard.failures++;
    this.counters.failedBatches++;
    shard.iterator = undefined;
    if (shard.failures % 10 === 0) {
      this.options.log('error', 'stream batch keeps failing; still retrying', { function: source.fn.spec.name, sequenceNumber: failedFrom, attempts: shard.failures });
    }
    await sleep(Math.min(5_000, 100 * 2 ** Math.min(shard.failures, 6)));
    return true;
  }

  /** Answers the sequence number of the first record to retry, or undefined when all succeeded. */
  private async invoke(source: StreamSource, streamArn: string, records: StreamRecord[]): Promise<string | undefined> {
    this.counters.batches++;
    const event = { Records: records.map((r) => toLambdaRecord(r, streamArn)) };
    try {
      const result = (await source.fn.invoke(event)) as { batchItemFailures?: Array<{ itemIdentifier?: string }> } | undefined;
      const failures = (result?.batchItemFailures ?? []).map((f) => f.itemIdentifier).filter((id): id is string => Boolean(id));
      if (!failures.length) return undefined;
      const first = records.find((r) => failures.includes(r.dynamodb!.SequenceNumber!));
      return first?.dynamodb?.SequenceNumber ?? records[0]!.dynamodb!.SequenceNumber;
    } catch (error) {
      this.options.log('warn', 'stream handler failed; the batch will be retried', { function: source.fn.spec.name, errorType: (error as Error).name });
      return records[0]!.dynamodb!.SequenceNumber;
    }
  }
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
