/**
 * The DynamoDB adapter of the error log (`errors` table). Items:
 * - `ERR#<id>` / `RECORD`: one record per fingerprint (the id derives from the fingerprint, so
 *   concurrent writers of one failure meet on one item);
 * - `OCC#<occurrenceId>` / `OCCURRENCE`: a marker per counted occurrence, written in the same
 *   transaction as the count, so a redelivered or replayed event never counts twice; kept (TTL) one
 *   day longer than the bus archive keeps events (EVENT_ARCHIVE_RETENTION_DAYS);
 * - `ERR#<id>` / `OCC#<occurredAt>#<occurrenceId>`: an occurrence's evidence (event id, times,
 *   redacted message and payload), written in the same transaction, with the same TTL. The last N
 *   are one Query (newest first, Limit N): the Limit bounds the read, the TTL the storage;
 * - `DIGEST#<job>#<period>` / `RUN`: one digest run per job and period (see shared/error-log/digest-job.ts).
 * Every write is conditional or transactional; lists use the sparse indexes, never a Scan.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import * as z from '../platform/zod.js';
import type { ChangeEntry, ErrorRecord, NotificationState } from './domain/record.js';
import type { Occurrence } from './domain/sources.js';
import { OWN_SYSTEM, errorIdOf } from './domain/origin.js';
import type { Flow, SubjectKind } from './domain/origin.js';
import { errorStatuses } from './domain/status.js';
import type { ErrorStatus } from './domain/status.js';
import { tableName } from '../platform/tables.js';
import { ddb } from '../platform/dynamodb/client.js';
import { ConcurrentUpdateError, ConditionFailedError, InvalidCursorError, StoreError } from '../platform/dynamodb/errors.js';
import { translate } from '../platform/dynamodb/translate.js';
import { batchGetAll } from '../platform/dynamodb/batch-get.js';
import { queryAll, queryPage } from '../platform/dynamodb/query.js';
import { transactWrite } from '../platform/dynamodb/transaction.js';
import type { TransactItem } from '../platform/dynamodb/transaction.js';
import { updateIf } from '../platform/dynamodb/update.js';
import { backoff } from '../platform/backoff.js';
import { EVENT_ARCHIVE_RETENTION_DAYS } from '../platform/manifest-types.js';
import { MAX_CHANGES, RECENT_OCCURRENCES } from './domain/bounds.js';
import { isOlderThanResolution } from './domain/replay.js';

type Item = Record<string, NativeAttributeValue>;

const ENTITY = 'ERROR';
const recordKey = (id: string) => ({ pk: `ERR#${id}`, sk: 'RECORD' });
const markerKey = (occurrenceId: string) => ({ pk: `OCC#${occurrenceId}`, sk: 'OCCURRENCE' });
const OCCURRENCE_PREFIX = 'OCC#';
const evidenceKey = (id: string, occurredAt: string, occurrenceId: string) => ({ pk: `ERR#${id}`, sk: `${OCCURRENCE_PREFIX}${occurredAt}#${occurrenceId}` });
const runKey = (job: string, period: string) => ({ pk: `DIGEST#${job}#${period}`, sk: 'RUN' });

/**
 * Markers outlive every redelivery and replay: Lambda async retries (6 h), rule retries (2 h), DLQ
 * redrives, and the bus archive (EVENT_ARCHIVE_RETENTION_DAYS). A replay older than a record's
 * resolution is recognised by its time as well (see recordOccurrence).
 */
const MARKER_TTL_SECONDS = (EVENT_ARCHIVE_RETENTION_DAYS + 1) * 24 * 3600;
const MAX_WRITE_ATTEMPTS = 25;

/** Attribute names used in expressions, all aliased (several are DynamoDB reserved words). */
const NAMES = {
  '#status': 'status',
  '#message': 'message',
  '#source': 'source',
  '#payload': 'payload',
  '#changes': 'changes',
  '#revision': 'revision',
  '#notification': 'notification',
  '#claimedAt': 'notificationClaimedAt',
  '#link': 'gitlabIssueLink',
  '#notes': 'notes',
  '#state': 'state',
  '#omitted': 'changesOmitted',
} as const;

/** Only the names an expression uses may be passed (DynamoDB rejects unused ones). */
function namesFor(...expressions: string[]): Record<string, string> {
  const text = expressions.join(' ');
  return Object.fromEntries(Object.entries(NAMES).filter(([alias]) => new RegExp(`${alias}\\b`).test(text)));
}

/**
 * `duplicate`: this occurrence was counted already. `stale`: it happened before its record was
 * resolved (an archive replay, a very late redelivery): that resolution covers it, so it neither
 * counts nor reopens.
 */
export type OccurrenceOutcome = 'created' | 'repeated' | 'reopened' | 'duplicate' | 'stale';

/** One occurrence of a record, as GET /v1/errors/{id} shows it (`recentOccurrences`). */
export interface OccurrenceEvidence {
  occurrenceId: string;
  occurredAt: string;
  receivedAt: string;
  message: string;
  payload: unknown;
}

export class ErrorRecordNotFoundError extends StoreError {
  override readonly name = 'ErrorRecordNotFoundError';
}


const nowIso = () => new Date().toISOString();
/** Full jitter, capped: concurrent writers of one fingerprint spread out instead of colliding again. */
const WRITE_BACKOFF = { baseMs: 5, capMs: 250 };

function fromItem(item: Item): ErrorRecord {
  return {
    id: String(item.id),
    fingerprint: String(item.fingerprint),
    code: String(item.code),
    subject: String(item.subject),
    message: String(item.message ?? ''),
    errorType: String(item.errorType ?? ''),
    source: item.source as ErrorRecord['source'],
    // Records written before origins were kept are this service's own failures.
    system: typeof item.system === 'string' ? item.system : OWN_SYSTEM,
    integration: typeof item.integration === 'string' ? item.integration : null,
    flow: (typeof item.flow === 'string' ? item.flow : 'provisioning') as Flow,
    subjectKind: typeof item.subjectKind === 'string' ? (item.subjectKind as SubjectKind) : null,
    status: item.status as ErrorStatus,
    gitlabIssueLink: typeof item.gitlabIssueLink === 'string' ? item.gitlabIssueLink : null,
    backtrace: Array.isArray(item.backtrace) ? (item.backtrace as string[]) : [],
    payload: item.payload ?? null,
    notes: typeof item.notes === 'string' ? item.notes : null,
    occurrences: Number(item.occurrences ?? 0),
    firstSeenAt: String(item.firstSeenAt),
    lastSeenAt: String(item.lastSeenAt),
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
    notification: (item.notification ?? 'pending') as NotificationState,
    notificationFailed: item.notificationFailed === true,
    changes: Array.isArray(item.changes) ? (item.changes as ChangeEntry[]) : [],
    changesOmitted: Number(item.changesOmitted ?? 0),
    resolvedAt: item.status === 'resolved' && typeof item.resolvedAt === 'string' ? item.resolvedAt : null,
    revision: Number(item.revision ?? 0),
  };
}

/** Cursor: the index's LastEvaluatedKey, as opaque base64url JSON, checked on the way back in. */
const cursorKey = z.strictObject({
  pk: z.string().check(z.startsWith('ERR#'), z.maxLength(100)),
  sk: z.literal('RECORD'),
  createdAt: z.string().check(z.maxLength(40)),
  status: z.optional(z.enum(errorStatuses)),
  entity: z.optional(z.literal(ENTITY)),
});

export function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  return key ? Buffer.from(JSON.stringify(key), 'utf8').toString('base64url') : null;
}

export function decodeCursor(cursor: string, status: ErrorStatus | undefined): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('The cursor is not one this API gave out: pass nextCursor from the previous page unchanged.');
  }
  const key = cursorKey.safeParse(parsed);
  if (!key.success || (status ? key.data.status !== status : key.data.entity !== ENTITY)) {
    throw new InvalidCursorError('The cursor does not belong to this list: pass nextCursor with the same status filter it came with.');
  }
  return key.data as Record<string, string>;
}

/** GET /v1/errors's filters: where a failure happened and its code. `integration: null`: none. */
export interface ListFilter {
  system?: string;
  integration?: string | null;
  flow?: Flow;
  code?: string;
}

/** How many records one filtered list call examines at most. */
export const FILTER_SCAN_MAX = 500;

const matchesFilter = (r: ErrorRecord, f: ListFilter): boolean =>
  (f.system === undefined || r.system === f.system) &&
  (f.integration === undefined || r.integration === f.integration) &&
  (f.flow === undefined || r.flow === f.flow) &&
  (f.code === undefined || r.code === f.code);

/** The index key of a listed item (what the index's LastEvaluatedKey holds), to continue after it. */
function indexKeyOf(item: Item, status: ErrorStatus | undefined): Record<string, unknown> {
  return { pk: item.pk, sk: item.sk, createdAt: item.createdAt, ...(status ? { status: item.status } : { entity: item.entity }) };
}

export interface ErrorPage {
  items: ErrorRecord[];
  nextCursor: string | null;
}

/**
 * What a digest reads of a record: what its issue lists and whether the record's Slack
 * announcement is due — never the payload, backtrace or change log, so a digest's memory does not
 * grow with what the error log keeps per record.
 */
export type DigestRecord = Pick<
  ErrorRecord,
  'id' | 'code' | 'subject' | 'message' | 'status' | 'occurrences' | 'firstSeenAt' | 'lastSeenAt' | 'createdAt' | 'gitlabIssueLink' | 'notification'
>;
const DIGEST_ATTRIBUTES = ['pk', 'id', 'code', 'subject', 'message', 'status', 'occurrences', 'firstSeenAt', 'lastSeenAt', 'createdAt', 'gitlabIssueLink', 'notification'] as const;

const toDigestRecord = (item: Item): DigestRecord => ({
  id: String(item.id),
  code: String(item.code),
  subject: String(item.subject),
  message: String(item.message ?? ''),
  status: item.status as ErrorStatus,
  occurrences: Number(item.occurrences ?? 0),
  firstSeenAt: String(item.firstSeenAt),
  lastSeenAt: String(item.lastSeenAt),
  createdAt: String(item.createdAt),
  gitlabIssueLink: typeof item.gitlabIssueLink === 'string' ? item.gitlabIssueLink : null,
  notification: (item.notification ?? 'pending') as NotificationState,
});

/** What resolving a record needs to know of it (ErrorStore.resolutionStates). */
export interface ResolutionState {
  status: ErrorStatus;
  revision: number;
  gitlabIssueLink: string | null;
}

/** One record's resolution, planned on `revision` while linked to `link` (ErrorStore.resolveAll). */
export interface ResolutionWrite {
  id: string;
  revision: number;
  link: string;
  changes: readonly ChangeEntry[];
}

/** TransactWriteItems takes at most 100 items. */
export const MAX_TRANSACTION_ITEMS = 100;

export interface DigestRun {
  job: string;
  period: string;
  state: 'started' | 'issue_created' | 'done';
  runId: string;
  leaseUntil: string;
  issue: { url: string; iid: number } | null;
  summary?: Record<string, unknown>;
}

export type BeginRun = { kind: 'acquired'; run: DigestRun } | { kind: 'done'; run: DigestRun } | { kind: 'busy'; run: DigestRun };

const toRun = (item: Item): DigestRun => ({
  job: String(item.job),
  period: String(item.period),
  state: item.state as DigestRun['state'],
  runId: String(item.runId),
  leaseUntil: String(item.leaseUntil),
  issue: (item.issue as DigestRun['issue']) ?? null,
  ...(item.summary ? { summary: item.summary as Record<string, unknown> } : {}),
});

export class ErrorStore {
  constructor(private readonly table: () => string = () => tableName('errors')) {}

  async get(id: string): Promise<ErrorRecord | undefined> {
    const out = await translate(() => ddb().send(new GetCommand({ TableName: this.table(), Key: recordKey(id), ConsistentRead: true })));
    return out.Item ? fromItem(out.Item) : undefined;
  }

  /**
   * Counts one occurrence on its fingerprint's record, exactly once per `occurrenceId`: creates the
   * record, adds to it, or reopens it when it was resolved (the failure is back) — unless it happened
   * before that resolution (`stale`: an old replay; nothing is written). One transaction of the
   * occurrence marker, its evidence item and the record; a lost race (another writer, a conflicting
   * transaction) retries with the current item, so concurrent writers never make two records or lose
   * a count. The record shows the newest occurrence's message and payload whatever the arrival order.
   */
  async recordOccurrence(occurrence: Occurrence, now = nowIso()): Promise<{ outcome: OccurrenceOutcome; id: string }> {
    const id = errorIdOf(occurrence.fingerprint);
    const expiresAt = Math.floor(Date.parse(now) / 1000) + MARKER_TTL_SECONDS;
    const marker: TransactItem = {
      Put: {
        TableName: this.table(),
        Item: { ...markerKey(occurrence.occurrenceId), errorId: id, expiresAt },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
    const evidence: TransactItem = {
      Put: {
        TableName: this.table(),
        Item: {
          ...evidenceKey(id, occurrence.occurredAt, occurrence.occurrenceId),
          occurrenceId: occurrence.occurrenceId,
          occurredAt: occurrence.occurredAt,
          receivedAt: now,
          message: occurrence.message,
          payload: occurrence.payload ?? null,
          expiresAt,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
    const latest = {
      ':at': occurrence.occurredAt,
      ':now': now,
      ':message': occurrence.message,
      ':errorType': occurrence.errorType,
      ':backtrace': occurrence.backtrace,
      ':payload': occurrence.payload ?? null,
      ':one': 1,
    };
    const setLatest = 'lastSeenAt = :at, updatedAt = :now, #message = :message, errorType = :errorType, backtrace = :backtrace, #payload = :payload';

    // bump: the newest occurrence so far (it becomes the record's latest); late: an older one that
    // arrived after a newer one (counted, the record's latest left as it is; firstSeenAt may move back).
    let variant: 'create' | 'bump' | 'late' | 'reopen' = 'bump';
    let old: ErrorRecord | undefined;
    /** The record's conditional update in the transaction; a refusal returns the record as it is. */
    const recordUpdate = (update: string, condition: string, values: Record<string, unknown>): TransactItem => ({
      Update: {
        TableName: this.table(),
        Key: recordKey(id),
        UpdateExpression: update,
        ConditionExpression: condition,
        ExpressionAttributeNames: namesFor(update, condition),
        ExpressionAttributeValues: values,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    });
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      let write: TransactItem;
      if (variant === 'create') {
        const item: Item = {
          ...recordKey(id),
          entity: ENTITY,
          id,
          fingerprint: occurrence.fingerprint,
          code: occurrence.code,
          subject: occurrence.subject,
          message: occurrence.message,
          errorType: occurrence.errorType,
          source: occurrence.source,
          system: occurrence.system,
          ...(occurrence.integration ? { integration: occurrence.integration } : {}),
          flow: occurrence.flow,
          ...(occurrence.subjectKind ? { subjectKind: occurrence.subjectKind } : {}),
          status: 'open',
          backtrace: occurrence.backtrace,
          payload: occurrence.payload ?? null,
          occurrences: 1,
          firstSeenAt: occurrence.occurredAt,
          lastSeenAt: occurrence.occurredAt,
          createdAt: now,
          updatedAt: now,
          notification: 'pending',
          changes: [],
          revision: 0,
        };
        write = { Put: { TableName: this.table(), Item: item, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } };
      } else if (variant === 'bump') {
        const update = `SET ${setLatest} ADD occurrences :one`;
        const condition = 'attribute_exists(pk) AND #status <> :resolved AND lastSeenAt <= :at';
        write = recordUpdate(update, condition, { ...latest, ':resolved': 'resolved' });
      } else if (variant === 'late' && old) {
        const update = 'SET updatedAt = :now, firstSeenAt = :first ADD occurrences :one';
        const condition = 'attribute_exists(pk) AND #status <> :resolved AND lastSeenAt > :at AND firstSeenAt = :oldFirst';
        const first = occurrence.occurredAt < old.firstSeenAt ? occurrence.occurredAt : old.firstSeenAt;
        write = recordUpdate(update, condition, { ':now': now, ':at': occurrence.occurredAt, ':first': first, ':oldFirst': old.firstSeenAt, ':resolved': 'resolved', ':one': 1 });
      } else {
        const reopened: ChangeEntry[] = [{ at: now, actor: 'error-log-writer', field: 'status', from: 'resolved', to: 'open', reason: 'the failure occurred again' }];
        if (old?.gitlabIssueLink) {
          reopened.push({ at: now, actor: 'error-log-writer', field: 'gitlabIssueLink', from: old.gitlabIssueLink, to: null, reason: 'its issue was closed; the next digest links it again' });
        }
        const update =
          `SET ${setLatest}, #status = :open, #notification = :pending, #changes = list_append(if_not_exists(#changes, :empty), :reopened), #revision = #revision + :one ` +
          'REMOVE notificationFailed, #claimedAt, #link ADD occurrences :one';
        const condition = '#status = :resolved AND #revision = :revision';
        write = recordUpdate(update, condition, { ...latest, ':resolved': 'resolved', ':open': 'open', ':pending': 'pending', ':empty': [], ':reopened': reopened, ':revision': old?.revision ?? 0 });
      }
      try {
        await transactWrite([marker, evidence, write]);
        if (variant === 'reopen' && old) await this.trimChanges(id, old.revision + 1, old.changes.length + (old.gitlabIssueLink ? 2 : 1));
        return { outcome: variant === 'create' ? 'created' : variant === 'reopen' ? 'reopened' : 'repeated', id };
      } catch (error) {
        // A transaction conflict: another writer of this fingerprint is mid-flight; try again shortly.
        if (error instanceof ConcurrentUpdateError) {
          await backoff(attempt, WRITE_BACKOFF);
          continue;
        }
        if (!(error instanceof ConditionFailedError)) throw error;
        if (error.at(0) || error.at(1)) return { outcome: 'duplicate', id };
        const recordFailure = error.at(2);
        if (!recordFailure) throw error;
        old = recordFailure.item ? fromItem(recordFailure.item) : undefined;
        // A failure that happened before the record was resolved is covered by that resolution: a
        // replay of old events never reopens it, unlinks its issue, announces it or counts again.
        if (old?.status === 'resolved' && isOlderThanResolution(occurrence.occurredAt, old.resolvedAt ?? old.updatedAt)) return { outcome: 'stale', id };
        variant = !old ? 'create' : old.status === 'resolved' ? 'reopen' : old.lastSeenAt > occurrence.occurredAt ? 'late' : 'bump';
      }
    }
    throw new ConcurrentUpdateError(`Could not count an occurrence of ${id} after ${MAX_WRITE_ATTEMPTS} attempts: too many concurrent writers; the event will be retried.`);
  }

  /** The last `limit` occurrences of record `id`, newest first: one Query. */
  async recentOccurrences(id: string, limit = RECENT_OCCURRENCES): Promise<OccurrenceEvidence[]> {
    const page = await queryPage({
      TableName: this.table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :occ)',
      ExpressionAttributeValues: { ':pk': recordKey(id).pk, ':occ': OCCURRENCE_PREFIX },
      ScanIndexForward: false,
      Limit: limit,
    });
    return page.items.map((item) => ({
      occurrenceId: String(item.occurrenceId),
      occurredAt: String(item.occurredAt),
      receivedAt: String(item.receivedAt),
      message: String(item.message ?? ''),
      payload: item.payload ?? null,
    }));
  }

  /**
   * Keeps a record's change log to its last MAX_CHANGES entries; the older ones are counted in
   * `changesOmitted`. Runs after a write that appended (the record at `revision` with `length`
   * entries); a no-op when another write got there first (that write trims after itself).
   */
  private async trimChanges(id: string, revision: number, length: number): Promise<void> {
    const excess = length - MAX_CHANGES;
    if (excess <= 0) return;
    const removes = Array.from({ length: excess }, (_, i) => `#changes[${i}]`).join(', ');
    const update = `REMOVE ${removes} ADD #omitted :excess`;
    const condition = '#revision = :revision AND size(#changes) = :length';
    await this.updateIf(recordKey(id), update, condition, { ':excess': excess, ':revision': revision, ':length': length });
  }

  /**
   * Takes the Slack notification of a record: only one writer (or digest) sends it. Claimable when
   * in one of `states`, or `sending` for longer than `staleAfterMs` (a sender that died).
   */
  async claimNotification(
    id: string,
    states: readonly ('pending' | 'failed')[],
    staleAfterMs = 5 * 60_000,
    now = nowIso(),
  ): Promise<{ record: ErrorRecord; claimedAt: string } | undefined> {
    const allowed = states.map((_, i) => `:s${i}`);
    const update = 'SET #notification = :sending, #claimedAt = :now';
    const condition = `attribute_exists(pk) AND (#notification IN (${allowed.join(', ')}) OR (#notification = :sending AND #claimedAt < :stale))`;
    const out = await this.updateIf(recordKey(id), update, condition, {
      ':sending': 'sending',
      ':now': now,
      ':stale': new Date(Date.parse(now) - staleAfterMs).toISOString(),
      ...Object.fromEntries(states.map((s, i) => [`:s${i}`, s])),
    });
    return 'written' in out ? { record: fromItem(out.written), claimedAt: now } : undefined;
  }

  /** Records how the claimed notification ended; a no-op if another sender took it over meanwhile. */
  async finishNotification(id: string, claimedAt: string, outcome: 'sent' | 'failed' | 'skipped', error?: string, now = nowIso()): Promise<void> {
    const update =
      outcome === 'sent'
        ? 'SET #notification = :state, notifiedAt = :now REMOVE notificationFailed, #claimedAt, notificationError'
        : outcome === 'failed'
          ? 'SET #notification = :state, notificationFailed = :true, notificationError = :error REMOVE #claimedAt'
          : 'SET #notification = :state REMOVE #claimedAt';
    const condition = '#notification = :sending AND #claimedAt = :claimedAt';
    const values: Record<string, unknown> = { ':state': outcome, ':sending': 'sending', ':claimedAt': claimedAt };
    if (outcome === 'sent') values[':now'] = now;
    if (outcome === 'failed') Object.assign(values, { ':true': true, ':error': (error ?? 'unknown').slice(0, 500) });
    await this.updateIf(recordKey(id), update, condition, values);
  }

  /**
   * Newest first, by status (index `byStatus`) or all (index `byCreatedAt`). With a `filter`
   * (system, integration, flow, code: attributes the keys-only indexes do not hold), the records
   * read are filtered after they are read: one call reads index pages until `limit` records match
   * or FILTER_SCAN_MAX records were examined, and `nextCursor` continues after the last record
   * examined. A page may then hold fewer than `limit` records, even none, with a cursor: its cost
   * grows with the records examined, not with those that match.
   */
  async list(options: { status?: ErrorStatus; limit: number; cursor?: string; filter?: ListFilter }): Promise<ErrorPage> {
    const index: Omit<QueryCommandInput, 'TableName'> = options.status
      ? { IndexName: 'byStatus', KeyConditionExpression: '#status = :key', ExpressionAttributeNames: { '#status': 'status' } }
      : { IndexName: 'byCreatedAt', KeyConditionExpression: 'entity = :key' };
    const input: QueryCommandInput = { TableName: this.table(), ...index, ExpressionAttributeValues: { ':key': options.status ?? ENTITY }, ScanIndexForward: false };
    // The index lags the table a little: a record that has just changed status is left out of a status list.
    const inStatus = (r: ErrorRecord) => !options.status || r.status === options.status;
    const codec = { encode: encodeCursor, decode: (cursor: string) => decodeCursor(cursor, options.status) };
    const filter = options.filter;
    if (!filter || Object.values(filter).every((v) => v === undefined)) {
      const page = await queryPage({ ...input, Limit: options.limit }, { cursor: options.cursor || undefined, codec });
      return { items: (await this.hydrate(page.items)).filter(inStatus), nextCursor: page.nextCursor };
    }
    const items: ErrorRecord[] = [];
    let start: Record<string, unknown> | undefined = options.cursor ? codec.decode(options.cursor) : undefined;
    let examined = 0;
    while (items.length < options.limit && examined < FILTER_SCAN_MAX) {
      const page = await queryPage({ ...input, Limit: Math.min(100, FILTER_SCAN_MAX - examined), ...(start ? { ExclusiveStartKey: start } : {}) });
      const records = new Map((await this.hydrate(page.items)).map((r) => [r.id, r]));
      let stoppedAt: Item | undefined;
      for (const key of page.items) {
        examined++;
        const record = records.get(String(key.pk).slice('ERR#'.length));
        if (record && inStatus(record) && matchesFilter(record, filter)) items.push(record);
        if (items.length === options.limit) {
          stoppedAt = key;
          break;
        }
      }
      // Stopped inside the page: continue right after the last record examined.
      start = stoppedAt && stoppedAt !== page.items.at(-1) ? indexKeyOf(stoppedAt, options.status) : page.lastEvaluatedKey;
      if (!start) break;
    }
    return { items, nextCursor: encodeCursor(start) };
  }

  /** Every record created in [from, to), following pages up to `max` records. */
  async createdBetween(from: string, to: string, max = 5_000): Promise<ErrorRecord[]> {
    return this.records(
      { IndexName: 'byCreatedAt', KeyConditionExpression: 'entity = :e AND createdAt BETWEEN :from AND :to', ExpressionAttributeValues: { ':e': ENTITY, ':from': from, ':to': to } },
      max,
    ).then((items) => items.filter((r) => r.createdAt < to));
  }

  /** Every record in `status`, newest first, up to `max`. */
  async withStatus(status: ErrorStatus, max = 5_000): Promise<ErrorRecord[]> {
    return this.records(
      { IndexName: 'byStatus', KeyConditionExpression: '#status = :s', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':s': status }, ScanIndexForward: false },
      max,
    );
  }

  /**
   * Applies workflow changes (status, notes, link) if the record is still at `revision`; appends
   * their change-log entries. `null` removes a field.
   * @throws ConcurrentUpdateError when the record changed since it was read; ErrorRecordNotFoundError.
   */
  async applyChanges(
    id: string,
    revision: number,
    set: { status?: ErrorStatus; notes?: string | null; gitlabIssueLink?: string | null },
    changes: readonly ChangeEntry[],
    now = nowIso(),
  ): Promise<ErrorRecord> {
    const sets = ['updatedAt = :now', '#changes = list_append(if_not_exists(#changes, :empty), :entries)', '#revision = #revision + :one'];
    const removes: string[] = [];
    const values: Record<string, unknown> = { ':now': now, ':empty': [], ':entries': changes, ':one': 1, ':revision': revision };
    if (set.status !== undefined) {
      sets.push('#status = :status');
      values[':status'] = set.status;
      if (set.status === 'resolved') {
        sets.push('resolvedAt = :now');
      }
    }
    for (const [field, alias] of [['notes', '#notes'], ['gitlabIssueLink', '#link']] as const) {
      const value = set[field];
      if (value === undefined) continue;
      if (value === null) removes.push(alias);
      else {
        sets.push(`${alias} = :${field}`);
        values[`:${field}`] = value;
      }
    }
    const update = `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`;
    const condition = 'attribute_exists(pk) AND #revision = :revision';
    const out = await this.updateIf(recordKey(id), update, condition, values);
    if ('written' in out) {
      const written = fromItem(out.written);
      if (written.changes.length <= MAX_CHANGES) return written;
      await this.trimChanges(id, written.revision, written.changes.length);
      return { ...written, changes: written.changes.slice(-MAX_CHANGES), changesOmitted: written.changesOmitted + written.changes.length - MAX_CHANGES };
    }
    if (!out.refused) throw new ErrorRecordNotFoundError(`No error record ${id}`);
    throw new ConcurrentUpdateError(`Error record ${id} changed while it was being updated`);
  }

  /**
   * Links a record to a digest issue unless it is linked already (an error stays with the first
   * issue that tracked it). Answers whether it linked.
   */
  async linkIssue(id: string, link: string, actor: string, now = nowIso()): Promise<boolean> {
    const entry: ChangeEntry = { at: now, actor, field: 'gitlabIssueLink', from: null, to: link };
    const update = 'SET #link = :link, updatedAt = :now, #changes = list_append(if_not_exists(#changes, :empty), :entries), #revision = #revision + :one';
    const condition = 'attribute_exists(pk) AND attribute_not_exists(#link)';
    const out = await this.updateIf(recordKey(id), update, condition, { ':link': link, ':now': now, ':empty': [], ':entries': [entry], ':one': 1 });
    if (!('written' in out)) return false;
    const written = fromItem(out.written);
    await this.trimChanges(id, written.revision, written.changes.length);
    return true;
  }

  /**
   * Starts (or resumes) the digest run of `job` for `period`. Acquired when no run exists or the
   * previous run's lease expired without finishing (it crashed): the item — and an issue it may
   * have recorded — is kept, only the lease moves. `done`: the period has its digest. `busy`:
   * another run holds the lease.
   */
  async beginDigestRun(job: string, period: string, runId: string, leaseMs: number, now = nowIso()): Promise<BeginRun> {
    const update = 'SET job = :job, period = :period, runId = :runId, leaseUntil = :lease, startedAt = if_not_exists(startedAt, :now), #state = if_not_exists(#state, :started)';
    const condition = 'attribute_not_exists(pk) OR (#state <> :done AND leaseUntil < :now)';
    const out = await this.updateIf(runKey(job, period), update, condition, {
      ':job': job,
      ':period': period,
      ':runId': runId,
      ':lease': new Date(Date.parse(now) + leaseMs).toISOString(),
      ':now': now,
      ':started': 'started',
      ':done': 'done',
    });
    if ('written' in out) return { kind: 'acquired', run: toRun(out.written) };
    const run = out.refused ? toRun(out.refused) : undefined;
    if (!run) throw new ConcurrentUpdateError(`The ${job} run for ${period} could not be started: its item changed meanwhile. Run it again.`);
    return { kind: run.state === 'done' ? 'done' : 'busy', run };
  }

  /** Records the issue a run opened, before anything else happens: a rerun never opens a second one. */
  async recordDigestIssue(job: string, period: string, runId: string, issue: { url: string; iid: number }): Promise<void> {
    await this.updateRun(job, period, runId, 'SET #state = :state, issue = :issue', { ':state': 'issue_created', ':issue': issue });
  }

  async finishDigestRun(job: string, period: string, runId: string, summary: Record<string, unknown>, now = nowIso()): Promise<void> {
    await this.updateRun(job, period, runId, 'SET #state = :state, summary = :summary, finishedAt = :now', { ':state': 'done', ':summary': summary, ':now': now });
  }

  /**
   * One conditional UpdateItem: the item as written, or — when the condition did not hold — the
   * item as it was (`refused`; undefined when there is none). The caller decides what that means.
   */
  private async updateIf(key: Record<string, string>, update: string, condition: string, values: Record<string, unknown>): Promise<{ written: Item } | { refused: Item | undefined }> {
    try {
      const written = await updateIf({
        TableName: this.table(),
        Key: key,
        UpdateExpression: update,
        ConditionExpression: condition,
        ExpressionAttributeNames: namesFor(update, condition),
        ExpressionAttributeValues: values,
      });
      return { written };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      return { refused: error.item };
    }
  }

  private async updateRun(job: string, period: string, runId: string, update: string, values: Record<string, unknown>): Promise<void> {
    const out = await this.updateIf(runKey(job, period), update, 'runId = :runId', { ...values, ':runId': runId });
    if ('refused' in out) {
      throw new ConcurrentUpdateError(`The ${job} run for ${period} was taken over by another run (its lease expired): this run stops.`);
    }
  }


  /**
   * One page of the records linked to a GitLab issue (index `byIssue`, ordered by key), after the
   * record `after`: their ids and, when the index may hold more, the id to continue after.
   */
  async linkedPage(link: string, after: string | null, limit: number): Promise<{ ids: string[]; next: string | null }> {
    const page = await queryPage({
      TableName: this.table(),
      IndexName: 'byIssue',
      KeyConditionExpression: '#link = :link',
      ExpressionAttributeNames: { '#link': 'gitlabIssueLink' },
      ExpressionAttributeValues: { ':link': link },
      Limit: limit,
      ...(after ? { ExclusiveStartKey: { gitlabIssueLink: link, ...recordKey(after) } } : {}),
    });
    const ids = page.items.map((key) => String(key.pk).slice('ERR#'.length));
    return { ids, next: page.lastEvaluatedKey && ids.length > 0 ? ids.at(-1)! : null };
  }

  /** What resolving needs of each record (status, revision, link), read consistently by key: no payload, backtrace or change log. */
  async resolutionStates(ids: readonly string[]): Promise<Map<string, ResolutionState>> {
    const items = await this.projected(ids.map(recordKey), ['pk', 'status', 'revision', 'gitlabIssueLink']);
    return new Map(
      items.map((item) => [
        String(item.pk).slice('ERR#'.length),
        { status: item.status as ErrorStatus, revision: Number(item.revision ?? 0), gitlabIssueLink: typeof item.gitlabIssueLink === 'string' ? item.gitlabIssueLink : null },
      ]),
    );
  }

  /**
   * Resolves up to 100 records in one TransactWriteItems, each conditional on the revision and the
   * link it was planned on, its change-log entries appended. All or nothing: `refused` when any
   * record changed since it was read (or another transaction touched one of them) — the caller
   * then goes record by record.
   */
  async resolveAll(writes: readonly ResolutionWrite[], now = nowIso()): Promise<'written' | 'refused'> {
    if (writes.length === 0) return 'written';
    if (writes.length > MAX_TRANSACTION_ITEMS) throw new RangeError(`resolveAll takes at most ${MAX_TRANSACTION_ITEMS} records, got ${writes.length}`);
    const update = 'SET #status = :resolved, resolvedAt = :now, updatedAt = :now, #changes = list_append(if_not_exists(#changes, :empty), :entries), #revision = #revision + :one';
    const condition = 'attribute_exists(pk) AND #revision = :revision AND #link = :link';
    const items: TransactItem[] = writes.map((w) => ({
      Update: {
        TableName: this.table(),
        Key: recordKey(w.id),
        UpdateExpression: update,
        ConditionExpression: condition,
        ExpressionAttributeNames: namesFor(update, condition),
        ExpressionAttributeValues: { ':resolved': 'resolved', ':now': now, ':empty': [], ':entries': w.changes, ':one': 1, ':revision': w.revision, ':link': w.link },
      },
    }));
    try {
      await transactWrite(items);
      return 'written';
    } catch (error) {
      if (error instanceof ConditionFailedError || error instanceof ConcurrentUpdateError) return 'refused';
      throw error;
    }
  }

  /** A digest's view (DigestRecord) of every record created in [from, to), up to `max`. */
  async digestRecordsCreatedBetween(from: string, to: string, max = 5_000): Promise<DigestRecord[]> {
    const keys = await queryAll(
      {
        TableName: this.table(),
        IndexName: 'byCreatedAt',
        KeyConditionExpression: 'entity = :e AND createdAt BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':e': ENTITY, ':from': from, ':to': to },
      },
      { max },
    );
    return (await this.projected(keys, DIGEST_ATTRIBUTES)).map(toDigestRecord).filter((r) => r.createdAt < to);
  }

  /** A digest's view (DigestRecord) of every record in `status`, newest first, up to `max`. */
  async digestRecordsWithStatus(status: ErrorStatus, max = 5_000): Promise<DigestRecord[]> {
    const keys = await queryAll(
      { TableName: this.table(), IndexName: 'byStatus', KeyConditionExpression: '#status = :s', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':s': status }, ScanIndexForward: false },
      { max },
    );
    // The index lags the table a little: a record that has just changed status is left out.
    return (await this.projected(keys, DIGEST_ATTRIBUTES)).map(toDigestRecord).filter((r) => r.status === status);
  }

  /** `attributes` (with `pk`) of the items behind index keys, in the keys' order; one deleted meanwhile is left out. */
  private async projected(keys: readonly Item[], attributes: readonly string[]): Promise<Item[]> {
    const table = this.table();
    const read = await batchGetAll({ [table]: { keys: keys.map((k) => ({ pk: k.pk, sk: k.sk })), consistent: true, attributes } });
    const found = new Map<string, Item>(read[table]!.map((item) => [String(item.pk), item]));
    return keys.flatMap((k) => found.get(String(k.pk)) ?? []);
  }

  /** The records of an index Query, to the end or `max`. */
  private async records(input: Omit<QueryCommandInput, 'TableName'>, max: number): Promise<ErrorRecord[]> {
    return this.hydrate(await queryAll({ TableName: this.table(), ...input }, { max }));
  }

  /**
   * The records behind index keys (the list indexes project keys only), in the keys' order;
   * a record deleted meanwhile is left out.
   */
  private async hydrate(keys: readonly Item[]): Promise<ErrorRecord[]> {
    const table = this.table();
    const read = await batchGetAll({ [table]: { keys: keys.map((k) => ({ pk: k.pk, sk: k.sk })), consistent: true } });
    const found = new Map<string, Item>(read[table]!.map((item) => [String(item.pk), item]));
    return keys.flatMap((k) => {
      const item = found.get(String(k.pk));
      return item ? [fromItem(item)] : [];
    });
  }
}
