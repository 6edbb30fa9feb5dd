/**
 * What operators manage without a deploy (noise rules, runbooks) is kept the same way in the
 * `errors` table, as flags are in theirs:
 *   <LIST> / <PREFIX><id>          the current item (all of a kind in one partition: listing is one Query)
 *   <LIST>#<id> / CHANGE#<version> one history entry per change, never overwritten
 * A change writes the item (conditional on its version, or on not existing) and its history entry in
 * one transaction. A deletion keeps the item as a tombstone (`body: null`): versions go on, and a
 * deleted built-in stays deleted. Items carry no `status`, `entity` or `gitlabIssueLink`, so they
 * never enter the error records' indexes, and no numeric `expiresAt` (the table's TTL attribute).
 *
 * flow: application (noise-rules.ts, runbooks.ts) --> this adapter --> DynamoDB
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../platform/tables.js';
import { ddb } from '../platform/dynamodb/client.js';
import { ConcurrentUpdateError, StoreError } from '../platform/dynamodb/errors.js';
import { translate } from '../platform/dynamodb/translate.js';
import { queryAll, queryPage } from '../platform/dynamodb/query.js';
import { transactWrite } from '../platform/dynamodb/transaction.js';
import { keyCursor } from '../platform/dynamodb/cursor.js';
import { ConcurrentUpdateExhaustedError } from '../platform/errors.js';
import { retryLostRaces } from '../platform/exactly-once.js';
import { ConfigVersionMismatchError } from './ops-errors.js';

/** An item as the API shows it: its body (null once deleted) and bookkeeping. */
export interface Versioned<T> {
  id: string;
  body: T | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

export interface HistoryEntry<T> {
  id: string;
  version: number;
  operator: string;
  changedAt: string;
  action: 'saved' | 'deleted';
  before: T | null;
  after: T | null;
}

/** The item changed since it was read (or was created concurrently): read again and decide again. */
export class VersionConflictError extends StoreError {
  override readonly name = 'VersionConflictError';
}

export interface VersionedKind {
  /** e.g. `NOISE`: the partition of every current item; history partitions are `<list>#<id>`. */
  list: string;
  /** e.g. `RULE#`. */
  prefix: string;
  /** How an operator names it in messages: `noise rule`, `runbook`. */
  label: string;
}

const pad = (version: number) => String(version).padStart(12, '0');

// Named condition pieces: each reads as the rule it enforces.
const itemDoesNotExist = 'attribute_not_exists(pk)';
const versionMatches = '#version = :version';

/** The DynamoDB adapter of one kind of versioned item. */
export class VersionedStore<T> {
  constructor(readonly kind: VersionedKind) {}

  private table = () => tableName('errors');
  key = (id: string) => ({ pk: this.kind.list, sk: `${this.kind.prefix}${id}` });
  historyKey = (id: string, version: number) => ({ pk: `${this.kind.list}#${id}`, sk: `CHANGE#${pad(version)}` });

  toVersioned(item: Record<string, unknown>): Versioned<T> {
    return {
      id: String(item.id),
      body: (item.body ?? null) as T | null,
      version: Number(item.version),
      createdAt: String(item.createdAt),
      updatedAt: String(item.updatedAt),
      updatedBy: String(item.updatedBy),
    };
  }

  /** One item (a tombstone included), or null when it was never saved. Strongly consistent. */
  async get(id: string): Promise<Versioned<T> | null> {
    const out = await translate(() => ddb().send(new GetCommand({ TableName: this.table(), Key: this.key(id), ConsistentRead: true })));
    return out.Item ? this.toVersioned(out.Item) : null;
  }

  /**
   * Every item of the kind, tombstones included: one Query on its partition (pages followed),
   * strongly consistent so that a change is seen by the next read.
   */
  async list(): Promise<Versioned<T>[]> {
    const items = await queryAll({
      TableName: this.table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': this.kind.list, ':prefix': this.kind.prefix },
      ConsistentRead: true,
    });
    return items.map((item) => this.toVersioned(item));
  }

  /** Writes a change and its history entry in one transaction, conditional on `previousVersion` (0: on not existing). */
  async commit(change: { item: Versioned<T>; history: HistoryEntry<T>; previousVersion: number }): Promise<void> {
    const table = this.table();
    const condition =
      change.previousVersion === 0
        ? { ConditionExpression: itemDoesNotExist }
        : { ConditionExpression: versionMatches, ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': change.previousVersion } };
    const conflict = (cause: Error) => new VersionConflictError(`${this.kind.label} ${change.item.id} changed concurrently`, { cause });
    try {
      await transactWrite(
        [
          { Put: { TableName: table, Item: { ...this.key(change.item.id), ...change.item }, ...condition } },
          { Put: { TableName: table, Item: { ...this.historyKey(change.item.id, change.history.version), ...change.history }, ConditionExpression: itemDoesNotExist } },
        ],
        conflict,
      );
    } catch (error) {
      if (error instanceof ConcurrentUpdateError) throw conflict(error);
      throw error;
    }
  }

  /** An item's history, newest first, a page at a time (a Query on its history partition). */
  async history(id: string, options: { limit: number; cursor?: string }): Promise<{ items: HistoryEntry<T>[]; nextCursor: string | null }> {
    const pk = `${this.kind.list}#${id}`;
    const page = await queryPage(
      {
        TableName: this.table(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :c)',
        ExpressionAttributeValues: { ':pk': pk, ':c': 'CHANGE#' },
        ScanIndexForward: false,
        Limit: options.limit,
      },
      { cursor: options.cursor || undefined, codec: keyCursor((p, sk) => p === pk && sk.startsWith('CHANGE#')) },
    );
    return {
      items: page.items.map(({ pk: _pk, sk: _sk, ...entry }) => entry as unknown as HistoryEntry<T>),
      nextCursor: page.nextCursor,
    };
  }
}

export interface SaveOutcome<T> {
  item: Versioned<T>;
  created: boolean;
  /** False when the change altered nothing: no new version, no history entry. */
  changed: boolean;
}

/**
 * Saves `body` (or deletes, with null) as an operator's change: read, compare, write conditional
 * on the version read. The same body again changes nothing (idempotent PUT and DELETE). A lost race
 * reads again and applies the change to the newer item (a change names the whole body), unless the
 * operator pinned `expectedVersion`: then the newer item is a 409 to review first.
 *
 * @throws ConfigVersionMismatchError `expectedVersion` is not the item's version (409 `version_conflict`)
 */
export async function saveVersioned<T>(
  store: VersionedStore<T>,
  id: string,
  body: T | null,
  options: {
    operator: string;
    expectedVersion?: number;
    same: (a: T | null, b: T | null) => boolean;
    /** Deleting what was never saved writes a tombstone (a built-in noise rule): it stays deleted. */
    tombstoneMissing?: boolean;
    now?: () => Date;
  },
): Promise<SaveOutcome<T>> {
  const now = options.now ?? (() => new Date());
  return retryLostRaces(
    async () => {
      const before = await store.get(id);
      const current = before?.version ?? 0;
      if (options.expectedVersion !== undefined && options.expectedVersion !== current) {
        throw new ConfigVersionMismatchError(store.kind.label, id, current, options.expectedVersion);
      }
      const previous = before?.body ?? null;
      if (before && options.same(previous, body)) return { item: before, created: false, changed: false };
      if (!before && body === null && !options.tombstoneMissing) return { item: { id, body: null, version: 0, createdAt: '', updatedAt: '', updatedBy: '' }, created: false, changed: false };
      const at = now().toISOString();
      const version = current + 1;
      const item: Versioned<T> = { id, body, version, createdAt: before?.createdAt ?? at, updatedAt: at, updatedBy: options.operator };
      const history: HistoryEntry<T> = { id, version, operator: options.operator, changedAt: at, action: body === null ? 'deleted' : 'saved', before: previous, after: body };
      await store.commit({ item, history, previousVersion: current });
      return { item, created: previous === null && body !== null, changed: true };
    },
    {
      isLostRace: (error) => error instanceof VersionConflictError,
      exhausted: (lastError) => new ConcurrentUpdateExhaustedError(`${store.kind.label} ${id}`, { cause: lastError }),
    },
  );
}
