/**
 * The DynamoDB adapter of force reassociation: the read of everything the rule needs, the one
 * TransactWriteItems that applies it, and the report's queries. SDK errors are translated here.
 *
 * Keys in the state table, besides the lifecycle store's (NS#<id>/STATE, NS#<id>/HIST#<version>,
 * SUB#<id>/SUB):
 *   REASSOC#<YYYY-MM> / <appliedAt>#<eventId>       one record per reassociation, a partition per
 *                                                   month of appliedAt (UTC): the report queries the
 *                                                   months of its range newest first — never a Scan
 *   SUB#<id> / DETACHED#<appliedAt>#<eventId>       a subscription that lost its namespace to a
 *                                                   reassociation (its SUB pointer is deleted)
 * The stream publishes only HIST# inserts, so records and marks produce no events; the two history
 * entries produce `Namespace Subscription Changed` for both namespaces.
 */
import type {
  CountedReassociation,
  ReassociationReason,
  ReassociationWarning,
  ReassociationWarningCode,
  TargetMeasurement,
} from './domain.js';
import type { LogEntry } from '../lifecycle/domain/log.js';
import type { FoldState, NamespaceState } from '../lifecycle/domain/types.js';
import { tableName } from '../platform/tables.js';
import { ConcurrentUpdateError, StoreError } from '../platform/dynamodb/errors.js';
import { queryPage } from '../platform/dynamodb/query.js';
import { listMonthly, monthlyKey, queryMonthly } from '../platform/dynamodb/monthly.js';
import type { MonthlyRecords } from '../platform/dynamodb/monthly.js';
import type { DateRange } from '../platform/dates.js';
import { transactWrite } from '../platform/dynamodb/transaction.js';
import type { TransactItem } from '../platform/dynamodb/transaction.js';
import { duplicateFrom, idempotencyPut } from '../platform/dynamodb/idempotency.js';
import type { StoredIdempotencyRecord } from '../platform/dynamodb/idempotency.js';
import {
  POINTER_COPY,
  STATE_COPY,
  getPointer,
  historySk,
  logItem,
  nsKey,
  readForCommand,
  readMeasurements,
  readState,
  stateAuditAttributes,
  stateCopy,
  subKey,
} from '../lifecycle/index.js';
import type { HistoryEntry, LogBoundsRead, SubscriptionPointer } from '../lifecycle/index.js';

/** What the route answers, for a dry run and for the real call (and what a replay answers again). */
export interface ReassociationResult {
  dryRun: boolean;
  before: { source: NamespaceState; target: NamespaceState | null };
  after: { source: NamespaceState; target: NamespaceState };
  warnings: ReassociationWarning[];
}

/** One applied reassociation: why, by whom, from where to where. */
export interface ReassociationRecord {
  eventId: string;
  subscriptionId: string;
  sourceNamespaceId: number;
  targetNamespaceId: number;
  reason: ReassociationReason;
  note: string;
  /** The operator's id (JWT `sub`). */
  actor: string;
  appliedAt: string;
  replacePaid: boolean;
  /** Whether the target was in a trial at the time (for `trial_conversion`: does the use case still occur?). */
  targetWasInTrial: boolean;
  /** The subscription the target held before, now detached; null when it held none. */
  displacedSubscriptionId: string | null;
  /** Whether that subscription was an active paid one (replaced with `replacePaid`). */
  displacedWasActivePaid: boolean;
  /** The versions the change produced on the source and the target (their history entries). */
  sourceVersion: number;
  targetVersion: number;
  warnings: ReassociationWarningCode[];
}

/** A subscription that lost its namespace to a reassociation (its pointer was deleted). */
export interface Detachment {
  subscriptionId: string;
  namespaceId: number;
  detachedAt: string;
  eventId: string;
  actor: string;
  replacedBySubscriptionId: string;
}

/** A history entry of a reassociation, as the lifecycle store writes history, plus what moved. */
export type ReassociationHistoryEntry = HistoryEntry & {
  reassociation: {
    role: 'source' | 'target';
    fromNamespaceId: number;
    toNamespaceId: number;
    reason: ReassociationReason;
    displacedSubscriptionId: string | null;
  };
};

export type ReassociationIdempotencyRecord = StoredIdempotencyRecord<ReassociationResult>;

export interface ReassociationReadSet {
  /** Any record stored under the eventId (possibly of another command: the hash tells). */
  idempotency: StoredIdempotencyRecord<unknown> | null;
  pointer: SubscriptionPointer | null;
  /** The state of the namespace the pointer names. */
  source: FoldState | null;
  target: FoldState | null;
  /** The `changedOn` of each state item as read: the write carries it forward (stateAuditAttributes). */
  changedOn: { source: string | null; target: string | null };
  /** Each namespace's log bounds: the move starts both logs again after their newest entry. */
  log: { source: LogBoundsRead; target: LogBoundsRead };
  /** The pointer of the subscription the target holds, when it holds another one. */
  displacedPointer: SubscriptionPointer | null;
  /** What the target's log keeps measured within the source's term (empty when there is nothing to move). */
  targetMeasurements: TargetMeasurement[];
}

/** Reassociation records: a partition per month of `appliedAt`, which the report queries. */
const REASSOCIATIONS: MonthlyRecords = { table: 'state', prefix: 'REASSOC' };

export const reassociationKey = (appliedAt: string, eventId: string) => monthlyKey(REASSOCIATIONS, appliedAt, eventId);

const detachmentKey = (subscriptionId: string, detachedAt: string, eventId: string) => ({
  pk: `SUB#${subscriptionId}`,
  sk: `DETACHED#${detachedAt}#${eventId}`,
});

/** The event was applied by a concurrent request: here is what it stored. */
export class DuplicateReassociationError extends StoreError {
  override readonly name = 'DuplicateReassociationError';
  constructor(readonly record: StoredIdempotencyRecord<unknown>) {
    super(`event ${record.eventId} was applied concurrently`);
  }
}

/**
 * Everything the rule needs, read consistently: one BatchGetItem (idempotency record, the
 * subscription's pointer, the target's state), then the source's state and, when the target holds
 * another subscription, that subscription's pointer, then — when the source holds the subscription's
 * active term and the target has a log — one Query of what the target measured within that term
 * (the target's version condition on the write covers it: a measurement arriving meanwhile makes
 * the move read again).
 */
export async function readForReassociation(keys: {
  eventId: string;
  subscriptionId: string;
  targetNamespaceId: number;
}): Promise<ReassociationReadSet> {
  const first = await readForCommand({ eventId: keys.eventId, namespaceId: keys.targetNamespaceId, subscriptionId: keys.subscriptionId });
  const idempotency = first.idempotency as StoredIdempotencyRecord<unknown> | null;
  const target = first.state;
  const none: LogBoundsRead = { lastKey: null, baseKey: null };
  if (idempotency || !first.pointer) {
    return {
      idempotency, pointer: first.pointer, source: null, target, changedOn: { source: null, target: first.changedOn },
      log: { source: none, target: first.log }, displacedPointer: null, targetMeasurements: [],
    };
  }
  const sourceId = first.pointer.namespaceId;
  const displacedId = target?.subscriptionId && target.subscriptionId !== keys.subscriptionId ? target.subscriptionId : null;
  const [source, displacedPointer] = await Promise.all([
    sourceId === keys.targetNamespaceId ? Promise.resolve(target ? { state: target, changedOn: first.changedOn, log: first.log } : null) : readState(sourceId),
    displacedId ? getPointer(displacedId) : Promise.resolve(null),
  ]);
  // A target never stored, or stored before the log, keeps no entries: its state says all it measured.
  const moves = sourceId !== keys.targetNamespaceId && target !== null && target.subscriptionId !== keys.subscriptionId;
  const term = moves && !first.upgradeBase ? termToMeasure(source?.state ?? null, keys.subscriptionId) : null;
  const targetMeasurements = term ? await readMeasurements(keys.targetNamespaceId, term) : [];
  return {
    idempotency: null,
    pointer: first.pointer,
    source: source?.state ?? null,
    target,
    changedOn: { source: source?.changedOn ?? null, target: first.changedOn },
    log: { source: source?.log ?? none, target: first.log },
    displacedPointer,
    targetMeasurements,
  };
}

/** The dates of the active term the source holds for the subscription (from, until excluded); null when it holds none to move. */
function termToMeasure(source: FoldState | null, subscriptionId: string): { from: string; until: string } | null {
  if (!source || source.subscriptionId !== subscriptionId || source.status !== 'active') return null;
  if (source.startDate === null || source.endDate === null) return null;
  return { from: source.startDate, until: source.endDate };
}

/** The newest detachment of a subscription, if it lost its namespace to a reassociation. */
export async function lastDetachment(subscriptionId: string): Promise<Detachment | null> {
  const page = await queryPage({
    TableName: tableName('state'),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :detached)',
    ExpressionAttributeValues: { ':pk': `SUB#${subscriptionId}`, ':detached': 'DETACHED#' },
    ScanIndexForward: false,
    Limit: 1,
  });
  const item = page.items[0];
  return item ? withoutKeys<Detachment>(item) : null;
}

export interface ReassociationWrite {
  /** The states as read: each write is conditional on its version (null: the target was never stored). */
  sourceBefore: NamespaceState;
  targetBefore: NamespaceState | null;
  /** The `changedOn` read with each (ReassociationReadSet.changedOn). */
  changedOn: { source: string | null; target: string | null };
  sourceAfter: FoldState;
  targetAfter: FoldState;
  /**
   * Each log's base entry: the state after the move, after every entry the log holds. Commands
   * dated before it are stale on both namespaces (the order guarantee holds between moves).
   */
  bases: { source: LogEntry; target: LogEntry };
  history: { source: ReassociationHistoryEntry; target: ReassociationHistoryEntry };
  /** The subscription's pointer moves from the source to the target. */
  pointer: SubscriptionPointer;
  /** The subscription the target held, whose pointer (still naming the target) is deleted and marked. */
  detach: Detachment | null;
  record: ReassociationRecord;
  idempotency: ReassociationIdempotencyRecord;
}

/**
 * Applies a reassociation atomically: the source loses the subscription and the target gains it
 * (both conditional on their version, the source also on still holding it), both history entries,
 * the pointer (conditional on still naming the source; it carries a copy of the target's state item
 * as every lifecycle write keeps it, see shared/lifecycle/store.ts), the displaced subscription's detachment,
 * the reassociation record and the idempotency record. Never half done.
 *
 * @throws DuplicateReassociationError the eventId was applied by a concurrent request
 * @throws ConcurrentUpdateError another change won the race: read again and decide again
 */
export async function commitReassociation(write: ReassociationWrite): Promise<void> {
  const stateTable = tableName('state');
  const { sourceBefore, targetBefore, sourceAfter, targetAfter } = write;
  const targetAudit = stateAuditAttributes(targetBefore, targetAfter, write.changedOn.target);
  const targetLog = { lastKey: write.bases.target.key, baseKey: write.bases.target.key };
  const items: TransactItem[] = [
    {
      Put: {
        TableName: stateTable,
        Item: {
          ...nsKey(sourceAfter.namespaceId),
          ...sourceAfter,
          logLastKey: write.bases.source.key,
          logBaseKey: write.bases.source.key,
          ...stateAuditAttributes(sourceBefore, sourceAfter, write.changedOn.source),
        },
        ConditionExpression: `${versionMatches} AND ${holdsSubscription}`,
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':version': sourceBefore.version, ':sub': write.pointer.subscriptionId },
      },
    },
    historyPut(write.history.source),
    {
      Put: {
        TableName: stateTable,
        Item: {
          ...nsKey(targetAfter.namespaceId),
          ...targetAfter,
          logLastKey: targetLog.lastKey,
          logBaseKey: targetLog.baseKey,
          ...targetAudit,
          [POINTER_COPY]: write.pointer.subscriptionId,
        },
        ...(targetBefore
          ? {
              ConditionExpression: versionMatches,
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':version': targetBefore.version },
            }
          : { ConditionExpression: itemDoesNotExist }),
      },
    },
    historyPut(write.history.target),
    {
      Put: {
        TableName: stateTable,
        Item: {
          ...subKey(write.pointer.subscriptionId),
          ...write.pointer,
          changedOn: write.pointer.associatedAt.slice(0, 10),
          [STATE_COPY]: stateCopy(targetAfter, targetLog, targetAudit.changedOn),
        },
        ConditionExpression: pointsAt,
        ExpressionAttributeValues: { ':ns': sourceBefore.namespaceId },
      },
    },
    {
      Put: {
        TableName: stateTable,
        Item: { ...reassociationKey(write.record.appliedAt, write.record.eventId), ...write.record },
        ConditionExpression: itemDoesNotExist,
      },
    },
  ];
  if (write.detach) {
    items.push(
      {
        Delete: {
          TableName: stateTable,
          Key: subKey(write.detach.subscriptionId),
          ConditionExpression: pointsAt,
          ExpressionAttributeValues: { ':ns': write.detach.namespaceId },
        },
      },
      {
        Put: {
          TableName: stateTable,
          Item: { ...detachmentKey(write.detach.subscriptionId, write.detach.detachedAt, write.detach.eventId), ...write.detach },
          ConditionExpression: itemDoesNotExist,
        },
      },
    );
  }
  items.push(
    { Put: { TableName: stateTable, Item: logItem(write.sourceAfter.namespaceId, write.bases.source) } },
    { Put: { TableName: stateTable, Item: logItem(write.targetAfter.namespaceId, write.bases.target) } },
  );
  const idempotencyIndex = items.push(idempotencyPut(write.idempotency)) - 1;
  await transactWrite(items, (failed) => {
    const duplicate = duplicateFrom<unknown>(failed.at(idempotencyIndex));
    if (duplicate) return new DuplicateReassociationError(duplicate);
    return new ConcurrentUpdateError('another change to the source, the target or a pointer won the race', { cause: failed });
  });
}

// Named condition pieces: each reads as the rule it enforces.
const itemDoesNotExist = 'attribute_not_exists(pk)';
const versionMatches = '#version = :version';
const holdsSubscription = 'subscriptionId = :sub';
const pointsAt = 'namespaceId = :ns';

function historyPut(entry: ReassociationHistoryEntry): TransactItem {
  return {
    Put: {
      TableName: tableName('state'),
      Item: { pk: `NS#${entry.namespaceId}`, sk: historySk(entry.version), ...entry },
      ConditionExpression: itemDoesNotExist,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The report

/**
 * Reassociations applied within the range, newest first, a page at a time (one Query per month
 * partition, newest month first, until the page is full).
 *
 * @throws InvalidCursorError when `cursor` is not a nextCursor of the same range
 */
export async function listReassociations(range: DateRange, options: { limit: number; cursor?: string }): Promise<{ items: ReassociationRecord[]; nextCursor: string | null }> {
  const page = await listMonthly(REASSOCIATIONS, range, options);
  return { items: page.items as unknown as ReassociationRecord[], nextCursor: page.nextCursor };
}

/** What the counts need of every reassociation in the range (reason, time, trial flag only). */
export async function reassociationsToCount(range: DateRange): Promise<CountedReassociation[]> {
  const items = await queryMonthly(REASSOCIATIONS, range, ['reason', 'appliedAt', 'targetWasInTrial']);
  return items.map((item) => ({
    reason: item.reason as ReassociationReason,
    appliedAt: item.appliedAt as string,
    targetWasInTrial: item.targetWasInTrial === true,
  }));
}

function withoutKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as T;
}
