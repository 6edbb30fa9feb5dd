/**
 * The DynamoDB adapter for namespace state and its log: one read before a command (a consistent
 * BatchGetItem of the state, the subscription pointer and the idempotency record), one Query of
 * the log when the command arrives late, one TransactWriteItems to apply it. SDK errors are
 * translated into the store's own errors (shared/platform/dynamodb/).
 *
 * A command addressed by subscription does not know its namespace, so the pointer carries a copy
 * of the state item (`stateCopy`: the state, the log's bounds, `changedOn`), written in the same
 * transaction as every write of the state item while the state records that the pointer carries
 * it (`pointerCopy`). The copy is only ever read to decide: the write stays conditional on the
 * state item's own version, so a copy left behind fails the condition and is never written from.
 *
 * Keys in the state table:
 *   NS#<namespaceId> / STATE                      the namespace's state (the fold of its log), the
 *                                                 log's bounds (`logLastKey`, `logBaseKey`), the
 *                                                 audit's due attributes and `changedOn`
 *   NS#<namespaceId> / LOG#<key>                  one entry per command kept, in business order
 *                                                 (shared/lifecycle/domain/log.ts): the command and
 *                                                 the state after it; pruned below the previous
 *                                                 term's start by the stream (functions/outbox-publisher)
 *   NS#<namespaceId> / HIST#<version>             one history entry per command received and kept
 *                                                 (the outbox's source when it changed the state)
 *   NS#<namespaceId> / HIST#<version>#STALE#<id>  a command older than the log keeps: recorded, not applied
 *   SUB#<subscriptionId> / SUB                    which namespace a subscription is associated with,
 *                                                 and a copy of that namespace's state item
 *   CORR#<YYYY-MM> / <appliedAt>#<eventId>        an applied correction of a term's peak, for the report
 * The idempotency table is keyed by eventId.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { stateIndexAttributes } from './domain/due.js';
import type { LogEntry } from './domain/log.js';
import { publicState } from './domain/rules.js';
import type { CorrectionReason, FoldState, LifecycleCommand, NamespaceState, Rejection } from './domain/types.js';
import { isLegacyState, upgradeLegacyState } from './domain/upgrade.js';
import type { LogSlice } from './receive.js';
import { tableName } from '../platform/tables.js';
import { ddb } from '../platform/dynamodb/client.js';
import { ConcurrentUpdateError, StoreError } from '../platform/dynamodb/errors.js';
import type { ConditionFailedError } from '../platform/dynamodb/errors.js';
import { translate } from '../platform/dynamodb/translate.js';
import { batchGetAll } from '../platform/dynamodb/batch-get.js';
import { queryAll, queryPage } from '../platform/dynamodb/query.js';
import { transactWrite } from '../platform/dynamodb/transaction.js';
import { batchDeleteAll } from '../platform/dynamodb/batch-write.js';
import type { TransactItem } from '../platform/dynamodb/transaction.js';
import { decodeKeyCursor, keyCursor } from '../platform/dynamodb/cursor.js';
import { listMonthly, monthlyKey, queryMonthly } from '../platform/dynamodb/monthly.js';
import type { MonthlyRecords } from '../platform/dynamodb/monthly.js';
import type { DateRange } from '../platform/dates.js';
import type { CountedRecord } from '../platform/report.js';
import { duplicateFrom, idempotencyPut } from '../platform/dynamodb/idempotency.js';
import type { StoredIdempotencyRecord } from '../platform/dynamodb/idempotency.js';

export const nsKey = (namespaceId: number) => ({ pk: `NS#${namespaceId}`, sk: 'STATE' });
export const subKey = (subscriptionId: string) => ({ pk: `SUB#${subscriptionId}`, sk: 'SUB' });
export const historySk = (version: number) => `HIST#${String(version).padStart(12, '0')}`;
/** A stale command's history record: after the version it met, never published (not a change). */
export const staleHistorySk = (version: number, eventId: string) => `${historySk(version)}#STALE#${eventId}`;
export const LOG_PREFIX = 'LOG#';
export const logSk = (key: string) => `${LOG_PREFIX}${key}`;

export { IDEMPOTENCY_TTL_DAYS } from '../platform/dynamodb/idempotency.js';

export type IdempotencyRecord = StoredIdempotencyRecord<NamespaceState>;

export interface SubscriptionPointer {
  subscriptionId: string;
  namespaceId: number;
  associatedAt: string;
}

/** The pointer's attribute holding the copy of its namespace's state item. */
export const STATE_COPY = 'stateCopy';
/** The state item's attribute naming the subscription whose pointer carries a copy of it. */
export const POINTER_COPY = 'pointerCopy';

/**
 * What a pointer keeps of its namespace's state item: what toStateRead needs (the state, the log's
 * bounds, `changedOn`), never the due attributes (a nested map is in no index anyway).
 *
 * @example
 * const audit = stateAuditAttributes(before, after, changedOn);
 * const pointer = { ...subKey('S-1'), ...association, [STATE_COPY]: stateCopy(after, log, audit.changedOn) };
 */
export const stateCopy = (after: FoldState, log: LogBoundsRead, changedOn: string): Record<string, unknown> => ({
  ...after,
  logLastKey: log.lastKey,
  logBaseKey: log.baseKey,
  changedOn,
});

/** What became of a command the namespace received (history's `outcome`). */
export type CommandOutcome = 'applied' | 'refused' | 'stale';

export interface HistoryEntry {
  namespaceId: number;
  version: number;
  eventId: string;
  type: string;
  actor: string;
  subscriptionId: string | null;
  before: NamespaceState | null;
  after: NamespaceState;
  occurredAt: string;
  appliedAt: string;
  /** Absent on entries written before the log: `applied`. */
  outcome?: CommandOutcome;
  /** Whether the state changed (a refused, stale or redundant command changes nothing): the outbox publishes only changes. */
  changed?: boolean;
  /** Why the rules refused it, or why it is stale. */
  rejection?: Rejection;
  /** Its key in the log (its place in business order). */
  position?: string;
  /** It arrived late: how many later entries were folded again. */
  refolded?: number;
  /** A trial started after an earlier one ended. */
  reactivation?: boolean;
}

/** The log's bounds, as the state item keeps them. */
export interface LogBoundsRead {
  lastKey: string | null;
  baseKey: string | null;
}

/** The state as a write needs it: the fold state, its item's `changedOn` and the log's bounds. */
export interface StateRead {
  state: FoldState;
  /** The item's `changedOn` (the audit's index of association changes; see stateChangedOn). */
  changedOn: string | null;
  log: LogBoundsRead;
  /** For a state stored before the log: the base entry its first write puts in the log. */
  upgradeBase: LogEntry | null;
}

export interface ReadSet {
  /** The state item's (null when it was not asked for, or never stored). */
  state: FoldState | null;
  /** The `changedOn` of the state item as read: a write that keeps the association carries it forward. */
  changedOn: string | null;
  /** The log's bounds (null bounds when the namespace was never stored). */
  log: LogBoundsRead;
  upgradeBase: LogEntry | null;
  pointer: SubscriptionPointer | null;
  /**
   * The pointer's copy of its namespace's state item; null for a pointer written before copies, or
   * one whose copy names another namespace. Possibly behind the state item: decide from it, and
   * write conditional on the version it says.
   */
  copy: StateRead | null;
  /** The subscription whose pointer the state item says carries its copy (its `pointerCopy`). */
  pointerCopy: string | null;
  idempotency: IdempotencyRecord | null;
}

/** An idempotency record of a command: its result (the public state), and its refusal when the rules refused it. */
export type IdempotencyRecordOf = IdempotencyRecord & { rejection?: Rejection };

/** The event was applied by a concurrent request: here is what it stored. */
export class DuplicateEventError extends StoreError {
  override readonly name = 'DuplicateEventError';
  constructor(readonly record: IdempotencyRecord) {
    super(`event ${record.eventId} was applied concurrently`);
  }
}

/**
 * The pointer the state item says carries its copy no longer names the namespace (an item edited
 * by hand): the write did not happen; write again without the copy.
 */
export class PointerCopyRefusedError extends StoreError {
  override readonly name = 'PointerCopyRefusedError';
  constructor(readonly subscriptionId: string, readonly namespaceId: number) {
    super(`the pointer of subscription ${subscriptionId} no longer names namespace ${namespaceId}: its copy of the state was not written`);
  }
}

/** The subscription is associated with another namespace. */
export class SubscriptionTakenError extends StoreError {
  override readonly name = 'SubscriptionTakenError';
  constructor(readonly pointer: SubscriptionPointer | null) {
    super('subscription is associated with another namespace');
  }
}

/** The state as the API shows it: exactly the domain fields, in a stable order. */
export const toState = (item: Record<string, unknown>): NamespaceState => publicState(item as unknown as NamespaceState);

/**
 * A state item as a write needs it: the fold state, its `changedOn` and the log's bounds. An item
 * stored before the log (no fold marks) is upgraded: its state becomes the log's base entry.
 */
export function toStateRead(item: Record<string, unknown>): StateRead {
  const changedOn = typeof item.changedOn === 'string' ? item.changedOn : null;
  const shown = toState(item);
  if (isLegacyState(item as Partial<FoldState>)) {
    const { state, baseKey } = upgradeLegacyState(shown);
    return { state, changedOn, log: { lastKey: baseKey, baseKey }, upgradeBase: { key: baseKey, command: null, state, rejection: null } };
  }
  return {
    state: { ...shown, fold: item.fold as FoldState['fold'] },
    changedOn,
    log: { lastKey: (item.logLastKey as string | undefined) ?? null, baseKey: (item.logBaseKey as string | undefined) ?? null },
    upgradeBase: null,
  };
}

/**
 * What a state item stores besides the state: the audit's due attributes (PutItem replaces the
 * item, so an obligation no longer due leaves its index) and `changedOn`, carried forward from
 * `changedOn` (the before item's, as read) while the association stays.
 *
 * @example
 * const { state, changedOn } = await readState(42);
 * const item = { ...after, ...stateAuditAttributes(state, after, changedOn) };
 */
export const stateAuditAttributes = (before: NamespaceState | null, after: NamespaceState, changedOn: string | null) =>
  stateIndexAttributes(before, after, before ? (changedOn ?? undefined) : undefined);

const stripKeys = <T>(item: Record<string, unknown>): T => {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as T;
};

/** A pointer item as the store answers it: the association, without the copy it carries. */
const toPointer = (item: Record<string, unknown>): SubscriptionPointer => {
  const { [STATE_COPY]: _copy, ...pointer } = stripKeys<Record<string, unknown>>(item);
  return pointer as unknown as SubscriptionPointer;
};

/** The pointer item's copy of the state item of the namespace it names, when it carries one. */
function copyOf(item: Record<string, unknown>): StateRead | null {
  const copy = item[STATE_COPY] as Record<string, unknown> | undefined;
  return copy && copy.namespaceId === item.namespaceId ? toStateRead(copy) : null;
}

/**
 * One consistent read of everything a command needs, in one BatchGetItem: the state item of
 * `namespaceId`, the pointer of `subscriptionId` (with its copy of its namespace's state item) and
 * the idempotency record of `eventId`.
 */
export async function readForCommand(keys: { eventId: string; namespaceId?: number; subscriptionId?: string }): Promise<ReadSet> {
  const stateTable = tableName('state');
  const idemTable = tableName('idempotency');
  const stateKeys = [
    ...(keys.namespaceId !== undefined ? [nsKey(keys.namespaceId)] : []),
    ...(keys.subscriptionId !== undefined ? [subKey(keys.subscriptionId)] : []),
  ];
  const items = await batchGetAll({
    [idemTable]: { keys: [{ eventId: keys.eventId }], consistent: true },
    [stateTable]: { keys: stateKeys, consistent: true },
  });
  const found = items[stateTable]!;
  const idem = items[idemTable]!;
  const stateItem = found.find((i) => i.sk === 'STATE');
  const pointerItem = found.find((i) => i.sk === 'SUB');
  const read = stateItem ? toStateRead(stateItem) : null;
  return {
    state: read?.state ?? null,
    changedOn: read?.changedOn ?? null,
    log: read?.log ?? { lastKey: null, baseKey: null },
    upgradeBase: read?.upgradeBase ?? null,
    pointer: pointerItem ? toPointer(pointerItem) : null,
    copy: pointerItem ? copyOf(pointerItem) : null,
    pointerCopy: typeof stateItem?.[POINTER_COPY] === 'string' ? stateItem[POINTER_COPY] : null,
    idempotency: (idem[0] as IdempotencyRecord | undefined) ?? null,
  };
}

/**
 * The entries of a namespace's log around `key`: the one just before it (the state to fold from),
 * the one at it (a redelivery), and every one after it — at most `maxAfter` (`truncated` beyond).
 * A Query newest first that stops at the first entry before `key`. DynamoDB reads (and bills) a
 * whole page, so the first page is small — a command a day late reads a few entries, one Query —
 * and only a command later than that reads on, in pages as large as it may need.
 *
 * @example
 * const slice = await readLogSlice(42, logKey(command), MAX_REFOLD);
 */
/** The first page of a late command's Query: the entries of about a week of daily measurements. */
const FIRST_SLICE_PAGE = 8;

export async function readLogSlice(namespaceId: number, key: string, maxAfter: number): Promise<LogSlice> {
  const target = logSk(key);
  const newestFirst: Record<string, unknown>[] = [];
  let before: Record<string, unknown> | undefined;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await queryPage({
      TableName: tableName('state'),
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
      ExpressionAttributeValues: { ':pk': `NS#${namespaceId}`, ':first': LOG_PREFIX, ':last': `${LOG_PREFIX}\uffff` },
      ScanIndexForward: false,
      ConsistentRead: true,
      Limit: start ? maxAfter + 2 : Math.min(FIRST_SLICE_PAGE, maxAfter + 2),
      ExclusiveStartKey: start,
    });
    for (const item of page.items) {
      if ((item.sk as string) < target) {
        before = item;
        break;
      }
      newestFirst.push(item);
    }
    start = before || newestFirst.length > maxAfter + 1 ? undefined : page.lastEvaluatedKey;
  } while (start);
  const at = newestFirst.find((item) => item.sk === target);
  const after = newestFirst.filter((item) => (item.sk as string) > target).reverse();
  return {
    before: before ? toLogEntry(before) : null,
    at: at ? toLogEntry(at) : null,
    after: after.slice(0, maxAfter).map(toLogEntry),
    truncated: after.length > maxAfter,
  };
}

const toLogEntry = (item: Record<string, unknown>): LogEntry => ({
  key: (item.sk as string).slice(LOG_PREFIX.length),
  command: (item.command ?? null) as LifecycleCommand,
  state: item.state as FoldState,
  rejection: (item.rejection ?? null) as Rejection | null,
});

/** A measurement a namespace's log keeps, with the namespace's trial as it stood when it was taken. */
export interface LoggedMeasurement {
  seatsInUse: number;
  measuredAt: string;
  /** The trial in the state after the entry: a measurement on one of its days counts toward no peak. */
  trial: Pick<NamespaceState, 'trial' | 'trialStartsOn' | 'trialEndsOn'>;
}

/**
 * The measurements a namespace's log keeps from `from` (a date, included) until `until` (a date,
 * excluded), in business order: its `seatUsageReported` entries, and the newest measurement a base
 * entry carries (entries before a base are pruned). One Query on the log's key range, projected to
 * what a measurement is (further pages only beyond 1 MB); never a Scan. A state stored before the
 * log has no entries: its own `seatsInUse` and `lastMeasuredAt` are its only measurement.
 *
 * @example
 * // A term 2026-01-01 → 2027-01-01 moving onto namespace 43: what 43 measured within it.
 * const measured = await readMeasurements(43, { from: '2026-01-01', until: '2027-01-01' });
 */
export async function readMeasurements(namespaceId: number, period: { from: string; until: string }): Promise<LoggedMeasurement[]> {
  const items = await queryAll({
    TableName: tableName('state'),
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :until',
    // A measurement's entry, or a base entry (no command).
    FilterExpression: '#command.#type = :measured OR attribute_not_exists(#command.#type)',
    ProjectionExpression:
      '#command.#type, #command.seatsInUse, #command.measuredAt, #state.seatsInUse, #state.lastMeasuredAt, #state.trial, #state.trialStartsOn, #state.trialEndsOn',
    ExpressionAttributeNames: { '#command': 'command', '#type': 'type', '#state': 'state' },
    // Entry keys start with their instant: every entry at `until` itself sorts after this bound.
    ExpressionAttributeValues: {
      ':pk': `NS#${namespaceId}`,
      ':from': logSk(`${period.from}T00:00:00.000Z`),
      ':until': logSk(`${period.until}T00:00:00.000Z`),
      ':measured': 'seatUsageReported',
    },
    ConsistentRead: true,
  });
  const measurements: LoggedMeasurement[] = [];
  for (const item of items) {
    const command = item.command as { type?: string; seatsInUse?: number; measuredAt?: string } | null | undefined;
    const state = (item.state ?? {}) as Partial<NamespaceState>;
    const trial = { trial: state.trial ?? false, trialStartsOn: state.trialStartsOn ?? null, trialEndsOn: state.trialEndsOn ?? null };
    if (command?.type === 'seatUsageReported' && command.measuredAt !== undefined && command.seatsInUse !== undefined) {
      measurements.push({ seatsInUse: command.seatsInUse, measuredAt: command.measuredAt, trial });
    } else if (!command?.type && typeof state.lastMeasuredAt === 'string' && typeof state.seatsInUse === 'number') {
      measurements.push({ seatsInUse: state.seatsInUse, measuredAt: state.lastMeasuredAt, trial });
    }
  }
  return measurements;
}

/** The item of a log entry: the command and the state after it (its version and updatedAt are the head's, not kept). */
export function logItem(namespaceId: number, entry: LogEntry): Record<string, unknown> {
  const { version: _v, updatedAt: _u, ...state } = entry.state;
  return { pk: `NS#${namespaceId}`, sk: logSk(entry.key), command: entry.command, state, ...(entry.rejection ? { rejection: entry.rejection } : {}) };
}

/**
 * Records a command older than the log keeps in the namespace's history (not applied, not
 * published): visible to whoever explains a bill. Idempotent: a redelivery writes nothing more.
 */
export async function recordStale(entry: HistoryEntry): Promise<void> {
  const put = new PutCommand({
    TableName: tableName('state'),
    Item: { pk: `NS#${entry.namespaceId}`, sk: staleHistorySk(entry.version, entry.eventId), ...entry },
    ConditionExpression: itemDoesNotExist,
  });
  // Already recorded (a redelivery meeting the same version): nothing more to write.
  await translate(() => ddb().send(put), () => new AlreadyRecorded()).catch((error: unknown) => {
    if (!(error instanceof AlreadyRecorded)) throw error;
  });
}

class AlreadyRecorded extends Error {}

/**
 * Deletes the log entries of a namespace before `floorKey`: what the log no longer keeps (older than
 * the previous term's start). Off the request path (the state table's stream); idempotent.
 *
 * @returns how many entries were deleted
 */
export async function pruneLog(namespaceId: number, floorKey: string): Promise<number> {
  const items = await queryAll({
    TableName: tableName('state'),
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :floor',
    ExpressionAttributeValues: { ':pk': `NS#${namespaceId}`, ':first': LOG_PREFIX, ':floor': logSk(floorKey) },
    ProjectionExpression: 'pk, sk',
  });
  const keys = items.map((item) => ({ pk: item.pk as string, sk: item.sk as string })).filter((key) => key.sk < logSk(floorKey));
  await batchDeleteAll(tableName('state'), keys);
  return keys.length;
}

/** A namespace's state with what a write of it needs (its `changedOn`, the log's bounds), or null when never stored. */
export async function readState(namespaceId: number, consistent = true): Promise<StateRead | null> {
  const out = await translate(() => ddb().send(new GetCommand({ TableName: tableName('state'), Key: nsKey(namespaceId), ConsistentRead: consistent })));
  return out.Item ? toStateRead(out.Item) : null;
}

/** A namespace's state as the API answers it, or null when never stored. */
export async function getState(namespaceId: number, consistent = true): Promise<NamespaceState | null> {
  const read = await readState(namespaceId, consistent);
  return read ? publicState(read.state) : null;
}

export async function getPointer(subscriptionId: string): Promise<SubscriptionPointer | null> {
  const out = await translate(() => ddb().send(new GetCommand({ TableName: tableName('state'), Key: subKey(subscriptionId), ConsistentRead: true })));
  return out.Item ? toPointer(out.Item) : null;
}

export interface HistoryPage {
  items: HistoryEntry[];
  nextCursor: string | null;
}

/** A namespace's history, newest first, a page at a time (a Query on the namespace's partition). */
export async function listHistory(
  namespaceId: number,
  options: { limit: number; cursor?: string; subscriptionId?: string },
): Promise<HistoryPage> {
  const page = await queryPage(
    {
      TableName: tableName('state'),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :hist)',
      ExpressionAttributeValues: {
        ':pk': `NS#${namespaceId}`,
        ':hist': 'HIST#',
        ...(options.subscriptionId ? { ':sub': options.subscriptionId } : {}),
      },
      ...(options.subscriptionId ? { FilterExpression: 'subscriptionId = :sub' } : {}),
      ScanIndexForward: false,
      Limit: options.limit,
    },
    { cursor: options.cursor || undefined, codec: historyCursor(namespaceId) },
  );
  return {
    items: page.items.map((item) => stripKeys<HistoryEntry>(item)),
    nextCursor: page.nextCursor,
  };
}

/** A history cursor: only keys of the same namespace's history. */
const isHistoryKey = (namespaceId: number) => (pk: string, sk: string) => pk === `NS#${namespaceId}` && sk.startsWith('HIST#');
const historyCursor = (namespaceId: number) => keyCursor(isHistoryKey(namespaceId));
export const decodeHistoryCursor = (cursor: string, namespaceId: number) => decodeKeyCursor(cursor, isHistoryKey(namespaceId));

export interface CommandWrite {
  /** The state as read (null when the namespace was never stored). */
  before: NamespaceState | null;
  /** The `changedOn` read with `before` (ReadSet.changedOn, StateRead.changedOn). */
  changedOn: string | null;
  /** The new state: the fold of the log, with the next version. */
  after: FoldState;
  /** The log's bounds after the write. */
  log: LogBoundsRead;
  /** The command's own log entry (conditional on not existing: a redelivery meets it). */
  entry: LogEntry;
  /** Later entries folded again whose state or verdict changed. */
  rewritten: readonly LogEntry[];
  /** The base entry of a state stored before the log, on its first write. */
  upgradeBase?: LogEntry | null;
  history: HistoryEntry;
  idempotency: IdempotencyRecordOf;
  /** Set when the command associates a subscription with the namespace (created): the pointer is written with its copy. */
  associate?: SubscriptionPointer;
  /**
   * The subscription whose pointer (naming this namespace) carries a copy of the state item: the
   * copy is written in the same transaction, and the state item records it (`pointerCopy`).
   * Undefined: no pointer gets a copy (the namespace holds none, or none known to name it).
   */
  copyTo?: string;
  /** For subscription-addressed commands: the state must still hold this subscription. */
  requireSubscriptionId?: string;
  /** An applied correction's record for the corrections report. */
  correction?: CorrectionRecord;
}

/** One applied correction of a term's peak: by whom, why, from what to what. */
export interface CorrectionRecord {
  eventId: string;
  namespaceId: number;
  subscriptionId: string | null;
  termStartDate: string;
  maxSeatsUsed: number;
  /** The term's peak before it (null when the term was not found: never recorded). */
  previousMaxSeatsUsed: number | null;
  reason: CorrectionReason;
  note: string;
  /** The operator's id (JWT `sub`). */
  actor: string;
  appliedAt: string;
}

/**
 * Where corrections are recorded: a partition per month of `appliedAt` (UTC), so the report queries
 * the months of its range, never a Scan (as reassociation records are kept).
 */
const CORRECTIONS: MonthlyRecords = { table: 'state', prefix: 'CORR' };

export const correctionKey = (appliedAt: string, eventId: string) => monthlyKey(CORRECTIONS, appliedAt, eventId);

/**
 * Corrections applied within the range, newest first, a page at a time (one Query per month
 * partition, newest month first, until the page is full).
 *
 * @throws InvalidCursorError when `cursor` is not a nextCursor of the same range
 * @example
 * const { items, nextCursor } = await listCorrections({ from: '2026-01-01', to: '2026-03-31' }, { limit: 50 });
 */
export async function listCorrections(range: DateRange, options: { limit: number; cursor?: string }): Promise<{ items: CorrectionRecord[]; nextCursor: string | null }> {
  const page = await listMonthly(CORRECTIONS, range, options);
  return { items: page.items as unknown as CorrectionRecord[], nextCursor: page.nextCursor };
}

/** What the counts need of every correction in the range: its reason and when it was applied. */
export async function correctionsToCount(range: DateRange): Promise<Array<CountedRecord<CorrectionReason>>> {
  const items = await queryMonthly(CORRECTIONS, range, ['reason', 'appliedAt']);
  return items.map((item) => ({ reason: item.reason as CorrectionReason, appliedAt: item.appliedAt as string }));
}

/**
 * Applies one command atomically: the state with the log's bounds (conditional on its version),
 * the command's log entry (conditional on not existing), the later entries it folded again, the
 * history entry, the idempotency record (conditional on not existing) and the pointer: for a new
 * association the whole pointer, else the copy of the state item its pointer carries (conditional
 * on naming this namespace). At most 7 items besides the rewritten entries (domain/log.ts
 * MAX_REFOLD keeps the whole under DynamoDB's 100).
 *
 * @throws DuplicateEventError the eventId was applied concurrently
 * @throws SubscriptionTakenError the pointer to write names another namespace
 * @throws PointerCopyRefusedError the pointer of `copyTo` no longer names this namespace
 * @throws ConcurrentUpdateError another change to the namespace won the race
 */
export async function commitCommand(write: CommandWrite): Promise<void> {
  const stateTable = tableName('state');
  const { after, before, changedOn } = write;
  const namespaceId = after.namespaceId;
  const audit = stateAuditAttributes(before, after, changedOn);
  const copy = write.copyTo === undefined && !write.associate ? undefined : stateCopy(after, write.log, audit.changedOn);
  const stateCondition = before
    ? { ConditionExpression: versionMatches + (write.requireSubscriptionId ? ` AND ${subscriptionMatches}` : ''),
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':version': before.version, ...(write.requireSubscriptionId ? { ':sub': write.requireSubscriptionId } : {}) } }
    : { ConditionExpression: itemDoesNotExist };
  const items: TransactItem[] = [
    {
      Put: {
        TableName: stateTable,
        Item: {
          ...nsKey(namespaceId),
          ...after,
          logLastKey: write.log.lastKey,
          logBaseKey: write.log.baseKey,
          ...audit,
          ...(write.copyTo === undefined ? {} : { [POINTER_COPY]: write.copyTo }),
        },
        ...stateCondition,
      },
    },
    {
      Put: {
        TableName: stateTable,
        Item: { pk: `NS#${namespaceId}`, sk: historySk(after.version), ...write.history },
        ConditionExpression: itemDoesNotExist,
      },
    },
    idempotencyPut(write.idempotency),
    { Put: { TableName: stateTable, Item: logItem(namespaceId, write.entry), ConditionExpression: itemDoesNotExist } },
  ];
  if (write.associate) {
    items.push({
      Put: {
        TableName: stateTable,
        Item: { ...subKey(write.associate.subscriptionId), ...write.associate, changedOn: write.associate.associatedAt.slice(0, 10), [STATE_COPY]: copy },
        ConditionExpression: `${itemDoesNotExist} OR ${pointsHere}`,
        ExpressionAttributeValues: { ':ns': write.associate.namespaceId },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    });
  } else if (write.copyTo !== undefined) {
    items.push({
      Update: {
        TableName: stateTable,
        Key: subKey(write.copyTo),
        UpdateExpression: 'SET #copy = :copy',
        ConditionExpression: pointsHere,
        ExpressionAttributeNames: { '#copy': STATE_COPY },
        ExpressionAttributeValues: { ':copy': copy, ':ns': namespaceId },
      },
    });
  }
  if (write.correction) {
    items.push({
      Put: { TableName: stateTable, Item: { ...correctionKey(write.correction.appliedAt, write.correction.eventId), ...write.correction }, ConditionExpression: itemDoesNotExist },
    });
  }
  if (write.upgradeBase) items.push({ Put: { TableName: stateTable, Item: logItem(namespaceId, write.upgradeBase) } });
  for (const entry of write.rewritten) items.push({ Put: { TableName: stateTable, Item: logItem(namespaceId, entry) } });
  await transactWrite(items, (failed) => cancellationToError(failed, write));
}

// Named condition pieces: each reads as the rule it enforces.
const itemDoesNotExist = 'attribute_not_exists(pk)';
const versionMatches = '#version = :version';
const subscriptionMatches = 'subscriptionId = :sub';
const pointsHere = 'namespaceId = :ns';

// Item order of commitCommand's transaction: state, history, idempotency, log entry, pointer, …
const STATE_ITEM = 0;
const IDEMPOTENCY_ITEM = 2;
const POINTER_ITEM = 4;

/**
 * What a failed condition of commitCommand's transaction means. A conflict, throttling or an
 * invalid item are mapped by transactWrite itself.
 */
function cancellationToError(failed: ConditionFailedError, write: CommandWrite): Error {
  const duplicate = duplicateFrom<NamespaceState>(failed.at(IDEMPOTENCY_ITEM));
  if (duplicate) return new DuplicateEventError(duplicate);
  const pointer = failed.at(POINTER_ITEM);
  if (pointer && write.associate) return new SubscriptionTakenError(pointer.item ? toPointer(pointer.item) : null);
  // The copy's pointer moved with a state that changed too (a reassociation): the race decides.
  if (pointer && write.copyTo !== undefined && !failed.at(STATE_ITEM)) return new PointerCopyRefusedError(write.copyTo, write.after.namespaceId);
  // A failed condition on the log entry: the same command was kept concurrently (or long ago);
  // the next read finds it in the log.
  return new ConcurrentUpdateError('another change to this namespace won the race', { cause: failed });
}
