/**
 * The DynamoDB adapter for namespace state: one read before a command (a consistent BatchGetItem of
 * the state, the subscription pointer and the idempotency record), one TransactWriteItems to apply
 * it. SDK errors are translated here into the store's own errors.
 *
 * Keys in the state table:
 *   NS#<namespaceId> / STATE              the namespace's subscription state
 *   NS#<namespaceId> / HIST#<version>     one history entry per applied change (the outbox's source)
 *   SUB#<subscriptionId> / SUB            which namespace a subscription is associated with
 * The idempotency table is keyed by eventId.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { stateIndexAttributes } from './domain/due.js';
import type { NamespaceState } from './domain/types.js';
import { tableName } from '../platform/tables.js';
import { ddb } from '../platform/dynamodb/client.js';
import { ConcurrentUpdateError, StoreError } from '../platform/dynamodb/errors.js';
import type { ConditionFailedError } from '../platform/dynamodb/errors.js';
import { translate } from '../platform/dynamodb/translate.js';
import { batchGetAll } from '../platform/dynamodb/batch-get.js';
import { queryPage } from '../platform/dynamodb/query.js';
import { transactWrite } from '../platform/dynamodb/transaction.js';
import type { TransactItem } from '../platform/dynamodb/transaction.js';
import { decodeKeyCursor, keyCursor } from '../platform/dynamodb/cursor.js';
import { duplicateFrom, idempotencyPut } from '../platform/dynamodb/idempotency.js';
import type { StoredIdempotencyRecord } from '../platform/dynamodb/idempotency.js';

export const nsKey = (namespaceId: number) => ({ pk: `NS#${namespaceId}`, sk: 'STATE' });
export const subKey = (subscriptionId: string) => ({ pk: `SUB#${subscriptionId}`, sk: 'SUB' });
export const historySk = (version: number) => `HIST#${String(version).padStart(12, '0')}`;

export { IDEMPOTENCY_TTL_DAYS } from '../platform/dynamodb/idempotency.js';

export type IdempotencyRecord = StoredIdempotencyRecord<NamespaceState>;

export interface SubscriptionPointer {
  subscriptionId: string;
  namespaceId: number;
  associatedAt: string;
}

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
}

export interface ReadSet {
  state: NamespaceState | null;
  /** The `changedOn` of the state item as read: a write that keeps the association carries it forward. */
  changedOn: string | null;
  pointer: SubscriptionPointer | null;
  idempotency: IdempotencyRecord | null;
}

/** A state as read for a write: the state, and what the write needs of its item besides it. */
export interface StateRead {
  state: NamespaceState;
  /** The item's `changedOn` (the audit's index of association changes; see stateChangedOn). */
  changedOn: string | null;
}

/** The event was applied by a concurrent request: here is what it stored. */
export class DuplicateEventError extends StoreError {
  override readonly name = 'DuplicateEventError';
  constructor(readonly record: IdempotencyRecord) {
    super(`event ${record.eventId} was applied concurrently`);
  }
}

/** The subscription is associated with another namespace. */
export class SubscriptionTakenError extends StoreError {
  override readonly name = 'SubscriptionTakenError';
  constructor(readonly pointer: SubscriptionPointer | null) {
    super('subscription is associated with another namespace');
  }
}

const STATE_FIELDS: ReadonlyArray<keyof NamespaceState> = [
  'namespaceId', 'subscriptionId', 'planCode', 'paidPlanCode', 'seats', 'seatsInUse', 'maxSeatsUsed',
  'maxSeatsUsedChangedAt', 'seatsOwed', 'trial', 'trialStartsOn', 'trialEndsOn', 'startDate', 'endDate',
  'autoRenew', 'nextReconciliationDate', 'status', 'lastMeasuredAt', 'version', 'updatedAt',
];

/** The state as the API shows it: exactly the domain fields, in a stable order. */
export function toState(item: Record<string, unknown>): NamespaceState {
  const state = {} as Record<string, unknown>;
  for (const field of STATE_FIELDS) state[field] = item[field] ?? null;
  return state as unknown as NamespaceState;
}

/** A state item as a write needs it: the state and its `changedOn`. */
export const toStateRead = (item: Record<string, unknown>): StateRead => ({
  state: toState(item),
  changedOn: typeof item.changedOn === 'string' ? item.changedOn : null,
});

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

/** One consistent read of everything a command needs, in one BatchGetItem. */
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
    pointer: pointerItem ? stripKeys<SubscriptionPointer>(pointerItem) : null,
    idempotency: (idem[0] as IdempotencyRecord | undefined) ?? null,
  };
}

/** A namespace's state with what a write of it needs (its `changedOn`), or null when never stored. */
export async function readState(namespaceId: number, consistent = true): Promise<StateRead | null> {
  const out = await translate(() => ddb().send(new GetCommand({ TableName: tableName('state'), Key: nsKey(namespaceId), ConsistentRead: consistent })));
  return out.Item ? toStateRead(out.Item) : null;
}

export async function getState(namespaceId: number, consistent = true): Promise<NamespaceState | null> {
  return (await readState(namespaceId, consistent))?.state ?? null;
}

export async function getPointer(subscriptionId: string): Promise<SubscriptionPointer | null> {
  const out = await translate(() => ddb().send(new GetCommand({ TableName: tableName('state'), Key: subKey(subscriptionId), ConsistentRead: true })));
  return out.Item ? stripKeys<SubscriptionPointer>(out.Item) : null;
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
  after: NamespaceState;
  history: HistoryEntry;
  idempotency: IdempotencyRecord;
  /** Set when the command associates a subscription with the namespace (created). */
  associate?: SubscriptionPointer;
  /** For subscription-addressed commands: the state must still hold this subscription. */
  requireSubscriptionId?: string;
}

/**
 * Applies one change atomically: the state (conditional on its version), the history entry, the
 * idempotency record (conditional on not existing) and, for a new association, the pointer.
 */
export async function commitCommand(write: CommandWrite): Promise<void> {
  const stateTable = tableName('state');
  const { after, before, changedOn } = write;
  const stateCondition = before
    ? { ConditionExpression: versionMatches + (write.requireSubscriptionId ? ` AND ${subscriptionMatches}` : ''),
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':version': before.version, ...(write.requireSubscriptionId ? { ':sub': write.requireSubscriptionId } : {}) } }
    : { ConditionExpression: itemDoesNotExist };
  const items: TransactItem[] = [
    { Put: { TableName: stateTable, Item: { ...nsKey(after.namespaceId), ...after, ...stateAuditAttributes(before, after, changedOn) }, ...stateCondition } },
    {
      Put: {
        TableName: stateTable,
        Item: { pk: `NS#${after.namespaceId}`, sk: historySk(after.version), ...write.history },
        ConditionExpression: itemDoesNotExist,
      },
    },
    idempotencyPut(write.idempotency),
  ];
  if (write.associate) {
    items.push({
      Put: {
        TableName: stateTable,
        Item: { ...subKey(write.associate.subscriptionId), ...write.associate, changedOn: write.associate.associatedAt.slice(0, 10) },
        ConditionExpression: `${itemDoesNotExist} OR namespaceId = :ns`,
        ExpressionAttributeValues: { ':ns': write.associate.namespaceId },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    });
  }
  await transactWrite(items, cancellationToError);
}

// Named condition pieces: each reads as the rule it enforces.
const itemDoesNotExist = 'attribute_not_exists(pk)';
const versionMatches = '#version = :version';
const subscriptionMatches = 'subscriptionId = :sub';

// Item order of commitCommand's transaction: state, history, idempotency, pointer.
const IDEMPOTENCY_ITEM = 2;
const POINTER_ITEM = 3;

/**
 * What a failed condition of commitCommand's transaction means. A conflict, throttling or an
 * invalid item are mapped by transactWrite itself.
 */
function cancellationToError(failed: ConditionFailedError): Error {
  const duplicate = duplicateFrom<NamespaceState>(failed.at(IDEMPOTENCY_ITEM));
  if (duplicate) return new DuplicateEventError(duplicate);
  const pointer = failed.at(POINTER_ITEM);
  if (pointer) return new SubscriptionTakenError(pointer.item ? stripKeys<SubscriptionPointer>(pointer.item) : null);
  return new ConcurrentUpdateError('another change to this namespace won the race', { cause: failed });
}
