/**
 * The DynamoDB adapter of the reconciliation audit. Reads: the sparse due indexes and `byChangedOn`
 * of the state table (keys only, then the items by key), and the error log's unresolved records
 * (index `byStatus`). Writes: the audit's own run items, in the state table:
 *   AUDIT / RUN#<asOf>    one per audit date: its pass, lease, phase and cursor (the checkpoint),
 *                         counts, and once completed its summary
 *   AUDIT / LATEST        the last completed run: its `completedAt` and the watermark (the day
 *                         from which the next run looks at changes)
 * Neither sort key starts with `HIST#`, so the outbox ignores them. No Scan anywhere. Every call
 * asks for its consumed capacity and adds it to the store's counter: the run reports what it cost.
 */
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { DUE } from '../lifecycle/domain/due.js';
import type { AuditCode } from './domain.js';
import type { DueKind } from '../lifecycle/domain/due.js';
import { unresolvedStatuses } from '../error-log/domain/status.js';
import type { ErrorStatus } from '../error-log/domain/status.js';
import { tableName } from '../platform/tables.js';
import { ddb } from '../platform/dynamodb/client.js';
import { ConcurrentUpdateError, ConditionFailedError, StoreError } from '../platform/dynamodb/errors.js';
import { translate } from '../platform/dynamodb/translate.js';
import { batchGetAll } from '../platform/dynamodb/batch-get.js';
import { queryAll, queryPage } from '../platform/dynamodb/query.js';
import { updateIf } from '../platform/dynamodb/update.js';
import type { CallOptions } from '../platform/dynamodb/client.js';
import { backoff } from '../platform/backoff.js';

export type Key = { pk: string; sk: string };
export type Item = Record<string, unknown>;

/** Capacity units consumed, summed over every call (ReturnConsumedCapacity TOTAL). */
export class CapacityCounter {
  readUnits = 0;
  writeUnits = 0;
  reads = 0;
  writes = 0;

  add(kind: 'read' | 'write', consumed: ConsumedCapacity | ConsumedCapacity[] | undefined): void {
    const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
    if (kind === 'read') {
      this.reads++;
      this.readUnits += units;
    } else {
      this.writes++;
      this.writeUnits += units;
    }
  }
}

export const AUDIT_PHASES = ['renewal', 'reconciliation', 'expiry', 'trialEnd', 'changed', 'resolve'] as const;
export type AuditPhase = (typeof AUDIT_PHASES)[number];

export interface RunCounts {
  /** Findings that hold at this run, by code: reported now, or re-checked and still holding. */
  findings: Partial<Record<AuditCode, number>>;
  /** Findings put on the bus by this pass. */
  published: number;
  /** Of those, the ones without an unresolved record before (they create or reopen one). */
  new: number;
  resolved: number;
  /** Unresolved records re-checked by key that still hold (not reported again). */
  stillOpen: number;
  examined: { due: number; changed: number; rechecked: number };
  readUnits: number;
  writeUnits: number;
}

export const emptyCounts = (): RunCounts => ({
  findings: {},
  published: 0,
  new: 0,
  resolved: 0,
  stillOpen: 0,
  examined: { due: 0, changed: 0, rechecked: 0 },
  readUnits: 0,
  writeUnits: 0,
});

export interface AuditRun {
  asOf: string;
  runId: string;
  /** A completed date run again by an operator is a new pass of the same run item. */
  pass: number;
  status: 'running' | 'completed';
  trigger: string;
  actor: string;
  startedAt: string;
  updatedAt: string;
  leaseUntil: string;
  completedAt: string | null;
  /** Invocations that worked on this pass (a resumed pass has more than one). */
  invocations: number;
  /** The days whose changes this pass looks at. */
  window: { from: string; through: string };
  /** The phase under way (`completed` runs: the last one) and where in it (JSON; null: its start). */
  phase: AuditPhase;
  cursor: string | null;
  counts: RunCounts;
  /** Record ids of the findings this pass has reported or re-checked (not re-checked again on resume). */
  confirmed: string[];
  summary: Record<string, unknown> | null;
}

export interface LatestRun {
  asOf: string;
  runId: string;
  completedAt: string;
  /** The first day the next run looks at for changes: the day the completed pass started. */
  watermark: string;
}

export type BeginRun = { kind: 'started' | 'resumed'; run: AuditRun } | { kind: 'done' | 'busy'; run: AuditRun };

/** An unresolved error record of the audit, as the resolution needs it. */
export interface AuditRecordView {
  id: string;
  code: string;
  subject: string;
  status: ErrorStatus;
  payload: Record<string, unknown>;
  /** The audit date of its last occurrence. */
  reportedAsOf: string | null;
}

/**
 * What the audit reads of an error record (AuditRecordView): never the change log, backtrace or a
 * whole payload — every unresolved record is read, other systems' too, so the audit's memory must
 * not grow with what the error log keeps. Of the payload only the audit date (`reportedAsOf`) and
 * the namespaces a re-check looks at again (run.ts `payloadNamespaceIds`).
 */
export const AUDIT_RECORD_ATTRIBUTES = [
  'pk', 'sk', 'id', 'code', 'subject', 'status', 'source',
  'payload.asOf', 'payload.namespaceId', 'payload.pointerNamespaceId', 'payload.holderNamespaceIds',
] as const;

const AUDIT_PK = 'AUDIT';
export const runKey = (asOf: string): Key => ({ pk: AUDIT_PK, sk: `RUN#${asOf}` });
export const latestKey: Key = { pk: AUDIT_PK, sk: 'LATEST' };

/** A page of keys: what one BatchGetItem takes. */
const BATCH = 100;

const isConditionalFailure = (error: unknown): boolean => error instanceof ConditionFailedError;
export const keyId = (key: { pk: unknown; sk: unknown }): string => `${String(key.pk)}\u0000${String(key.sk)}`;
const toKey = (item: Item): Key => ({ pk: String(item.pk), sk: String(item.sk) });

function toRun(item: Item): AuditRun {
  const confirmed = item.confirmed;
  return {
    asOf: String(item.asOf),
    runId: String(item.runId),
    pass: Number(item.pass ?? 1),
    status: item.status === 'completed' ? 'completed' : 'running',
    trigger: String(item.trigger ?? ''),
    actor: String(item.actor ?? ''),
    startedAt: String(item.startedAt),
    updatedAt: String(item.updatedAt ?? item.startedAt),
    leaseUntil: String(item.leaseUntil ?? ''),
    completedAt: typeof item.completedAt === 'string' ? item.completedAt : null,
    invocations: Number(item.invocations ?? 1),
    window: item.window as AuditRun['window'],
    phase: item.phase as AuditPhase,
    cursor: typeof item.cursor === 'string' ? item.cursor : null,
    counts: { ...emptyCounts(), ...(item.counts as Partial<RunCounts> | undefined) },
    confirmed: confirmed instanceof Set ? [...(confirmed as Set<string>)] : Array.isArray(confirmed) ? (confirmed as string[]) : [],
    summary: (item.summary as Record<string, unknown> | undefined) ?? null,
  };
}

export interface AuditStoreOptions {
  /** Defaults to the process's `ddb()` client. */
  client?: DynamoDBDocumentClient;
  stateTable?: () => string;
  errorsTable?: () => string;
  capacity?: CapacityCounter;
}

export class AuditStore {
  readonly capacity: CapacityCounter;
  private readonly client: () => DynamoDBDocumentClient;
  private readonly stateTable: () => string;
  private readonly errorsTable: () => string;

  constructor(options: AuditStoreOptions = {}) {
    const given = options.client;
    this.client = given ? () => given : ddb;
    this.stateTable = options.stateTable ?? (() => tableName('state'));
    this.errorsTable = options.errorsTable ?? (() => tableName('errors'));
    this.capacity = options.capacity ?? new CapacityCounter();
  }

  // -------------------------------------------------------------------------------------------
  // Reads of what is due and what changed

  /** A page of the keys of items due for `kind` in `shard` before `asOf` (oldest first). */
  async dueKeys(kind: DueKind, shard: number, asOf: string, start: Item | undefined, limit = BATCH): Promise<{ keys: Key[]; next: Item | undefined }> {
    const { attribute, index } = DUE[kind];
    return this.queryKeys({
      TableName: this.stateTable(),
      IndexName: index,
      KeyConditionExpression: '#shard = :shard AND #due < :asOf',
      ExpressionAttributeNames: { '#shard': 'dueShard', '#due': attribute },
      ExpressionAttributeValues: { ':shard': shard, ':asOf': asOf },
      Limit: limit,
      ExclusiveStartKey: start,
    });
  }

  /** A page of the keys of items (states, pointers, customers) whose `changedOn` is `day`. */
  async changedKeys(day: string, start: Item | undefined, limit = BATCH): Promise<{ keys: Key[]; next: Item | undefined }> {
    return this.queryKeys({
      TableName: this.stateTable(),
      IndexName: 'byChangedOn',
      KeyConditionExpression: 'changedOn = :day',
      ExpressionAttributeValues: { ':day': day },
      Limit: limit,
      ExclusiveStartKey: start,
    });
  }

  /** The state-table items behind `keys`, consistently read, by `keyId`; absent keys are left out. */
  async stateItems(keys: readonly Key[]): Promise<Map<string, Item>> {
    return this.batchGet(this.stateTable(), keys, true);
  }

  // -------------------------------------------------------------------------------------------
  // The error log's unresolved audit records

  /** Every unresolved record the audit reported (index `byStatus`, then the records by key). */
  async unresolvedAuditRecords(): Promise<AuditRecordView[]> {
    const table = this.errorsTable();
    const keys: Key[] = [];
    for (const status of unresolvedStatuses) {
      const items = await queryAll(
        {
          TableName: table,
          IndexName: 'byStatus',
          KeyConditionExpression: '#status = :status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status },
        },
        this.reads,
      );
      keys.push(...items.map(toKey));
    }
    const records = await this.batchGet(table, keys, false, AUDIT_RECORD_ATTRIBUTES);
    return [...records.values()]
      .filter((r) => r.source === 'audit' && unresolvedStatuses.includes(r.status as ErrorStatus))
      .map((r) => {
        const payload = (r.payload && typeof r.payload === 'object' ? r.payload : {}) as Record<string, unknown>;
        return {
          id: String(r.id),
          code: String(r.code),
          subject: String(r.subject),
          status: r.status as ErrorStatus,
          payload,
          reportedAsOf: typeof payload.asOf === 'string' ? payload.asOf : null,
        };
      });
  }

  // -------------------------------------------------------------------------------------------
  // Run items

  async latest(): Promise<LatestRun | null> {
    const out = await this.get(latestKey);
    if (!out) return null;
    return { asOf: String(out.asOf), runId: String(out.runId), completedAt: String(out.completedAt), watermark: String(out.watermark) };
  }

  async run(asOf: string): Promise<AuditRun | null> {
    const item = await this.get(runKey(asOf));
    return item ? toRun(item) : null;
  }

  /**
   * Takes the run of `asOf`: starts it (no run yet, or — when `rerun` — a completed one, as a new
   * pass), resumes it (a pass whose lease expired or was released: it crashed, failed or ran out of
   * time), or answers `done` (completed, no rerun) or `busy` (another invocation holds the lease).
   * Each write is conditional on what was read; a lost race reads again and decides again.
   */
  async beginRun(input: { asOf: string; runId: string; trigger: string; actor: string; now: string; leaseUntil: string; window: AuditRun['window']; rerun: boolean }): Promise<BeginRun> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.run(input.asOf);
      const fresh = (pass: number): Item => ({
        ...runKey(input.asOf),
        asOf: input.asOf,
        runId: input.runId,
        pass,
        status: 'running',
        trigger: input.trigger,
        actor: input.actor,
        startedAt: input.now,
        updatedAt: input.now,
        leaseUntil: input.leaseUntil,
        invocations: 1,
        window: input.window,
        phase: 'renewal',
        counts: emptyCounts(),
      });
      try {
        if (!current) {
          const item = fresh(1);
          await this.put(item, 'attribute_not_exists(pk)', {});
          return { kind: 'started', run: toRun(item) };
        }
        if (current.status === 'completed') {
          if (!input.rerun) return { kind: 'done', run: current };
          const item = fresh(current.pass + 1);
          await this.put(item, '#status = :completed AND runId = :previous', { ':completed': 'completed', ':previous': current.runId });
          return { kind: 'started', run: toRun(item) };
        }
        if (current.leaseUntil > input.now) return { kind: 'busy', run: current };
        await this.update(
          runKey(input.asOf),
          'SET runId = :runId, leaseUntil = :lease, updatedAt = :now, invocations = invocations + :one',
          'runId = :previous AND leaseUntil = :previousLease',
          { ':runId': input.runId, ':lease': input.leaseUntil, ':now': input.now, ':one': 1, ':previous': current.runId, ':previousLease': current.leaseUntil },
        );
        return { kind: 'resumed', run: { ...current, runId: input.runId, leaseUntil: input.leaseUntil, updatedAt: input.now, invocations: current.invocations + 1 } };
      } catch (error) {
        if (!isConditionalFailure(error)) throw error;
        await backoff(attempt + 1, { baseMs: 20, capMs: 200 });
      }
    }
    throw new ConcurrentUpdateError(`The audit run of ${input.asOf} kept changing while this invocation tried to take it; retry.`);
  }

  /**
   * Records how far the run got: the phase, the cursor in it, the counts and the findings it
   * confirmed. Conditional on still holding the run.
   * @throws RunTakenOverError when another invocation took the run over (its lease had expired)
   */
  async checkpoint(run: AuditRun, progress: { phase: AuditPhase; cursor: string | null; counts: RunCounts; confirmed: readonly string[]; leaseUntil: string; now: string }): Promise<void> {
    const sets = ['phase = :phase', 'counts = :counts', 'leaseUntil = :lease', 'updatedAt = :now'];
    const values: Record<string, unknown> = { ':phase': progress.phase, ':counts': progress.counts, ':lease': progress.leaseUntil, ':now': progress.now };
    if (progress.cursor !== null) {
      sets.push('#cursor = :cursor');
      values[':cursor'] = progress.cursor;
    }
    let update = `SET ${sets.join(', ')}${progress.cursor === null ? ' REMOVE #cursor' : ''}`;
    if (progress.confirmed.length) {
      update += ' ADD confirmed :confirmed';
      values[':confirmed'] = new Set(progress.confirmed);
    }
    await this.updateHeld(run, update, values, { '#cursor': 'cursor' });
  }

  /** Marks the pass completed with its summary, then moves LATEST forward (never back). */
  async complete(run: AuditRun, result: { counts: RunCounts; summary: Record<string, unknown>; completedAt: string }): Promise<void> {
    await this.updateHeld(
      run,
      'SET #status = :completed, completedAt = :at, updatedAt = :at, leaseUntil = :at, counts = :counts, summary = :summary REMOVE #cursor',
      { ':completed': 'completed', ':at': result.completedAt, ':counts': result.counts, ':summary': result.summary },
      { '#status': 'status', '#cursor': 'cursor' },
    );
    try {
      await this.put(
        { ...latestKey, asOf: run.asOf, runId: run.runId, completedAt: result.completedAt, watermark: run.window.through },
        'attribute_not_exists(pk) OR watermark <= :watermark',
        { ':watermark': run.window.through },
      );
    } catch (error) {
      // A later run completed first: its watermark stays.
      if (!isConditionalFailure(error)) throw error;
    }
  }

  /** Lets the next invocation resume at once (this one failed or ran out of time). Best effort. */
  async releaseLease(run: AuditRun, now: string): Promise<void> {
    try {
      await this.updateHeld(run, 'SET leaseUntil = :now, updatedAt = :now', { ':now': now });
    } catch {
      /* the lease runs out by itself */
    }
  }

  // -------------------------------------------------------------------------------------------

  /** Every read sends with the store's client and counts its capacity. */
  private get reads(): CallOptions {
    return { client: this.client(), onConsumedCapacity: (consumed) => this.capacity.add('read', consumed) };
  }

  private get writes(): CallOptions {
    return { client: this.client(), onConsumedCapacity: (consumed) => this.capacity.add('write', consumed) };
  }

  private async queryKeys(input: QueryCommandInput): Promise<{ keys: Key[]; next: Item | undefined }> {
    const page = await queryPage(input, this.reads);
    return { keys: page.items.map(toKey), next: page.lastEvaluatedKey };
  }

  private async get(key: Key): Promise<Item | undefined> {
    const out = await translate(() => this.client().send(new GetCommand({ TableName: this.stateTable(), Key: key, ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' })));
    this.capacity.add('read', out.ConsumedCapacity);
    return out.Item;
  }

  private async batchGet(table: string, keys: readonly Key[], consistent: boolean, attributes?: readonly string[]): Promise<Map<string, Item>> {
    // Each key once (BatchGetItem refuses a key named twice); a failure stops the audit and the next run resumes.
    const unique = [...new Map(keys.map((k) => [keyId(k), { pk: k.pk, sk: k.sk }])).values()];
    const read = await batchGetAll({ [table]: { keys: unique, consistent, ...(attributes ? { attributes } : {}) } }, this.reads);
    return new Map(read[table]!.map((item) => [keyId(item as Key), item]));
  }

  private async put(item: Item, condition: string, values: Record<string, unknown>): Promise<void> {
    const out = await translate(() =>
      this.client().send(
        new PutCommand({
          TableName: this.stateTable(),
          Item: item,
          ConditionExpression: condition,
          ...(condition.includes('#status') ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
          ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
    this.capacity.add('write', out.ConsumedCapacity);
  }

  private async update(key: Key, update: string, condition: string, values: Record<string, unknown>, names?: Record<string, string>): Promise<void> {
    await updateIf(
      {
        TableName: this.stateTable(),
        Key: key,
        UpdateExpression: update,
        ConditionExpression: condition,
        ...(names && Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: values,
        // The run item is large (its confirmed ids): nothing here needs it back.
        ReturnValues: 'NONE',
      },
      this.writes,
    );
  }

  /** An update of the run item, conditional on this invocation still holding it. */
  private async updateHeld(run: AuditRun, update: string, values: Record<string, unknown>, names: Record<string, string> = {}): Promise<void> {
    const used = Object.fromEntries(Object.entries({ ...names, '#status': 'status' }).filter(([alias]) => new RegExp(`${alias}\\b`).test(`${update} #status`)));
    try {
      await this.update(runKey(run.asOf), update, 'runId = :heldBy AND #status = :running', { ...values, ':heldBy': run.runId, ':running': 'running' }, used);
    } catch (error) {
      if (isConditionalFailure(error)) {
        throw new RunTakenOverError(`The audit run of ${run.asOf} was taken over by another invocation (this one's lease ran out): this one stops.`, { cause: error });
      }
      throw error;
    }
  }
}

/** Another invocation holds the run now: this one must stop writing to it. */
export class RunTakenOverError extends StoreError {
  override readonly name = 'RunTakenOverError';
}
