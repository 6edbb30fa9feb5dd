/**
 * The DynamoDB adapter for feature flags. Keys in the flags table:
 *   FLAGS / FLAG#<name>        a flag's gates and version (all flags in one partition: listing is a Query)
 *   FLAG#<name> / H#<version>  one history entry per change, never overwritten
 * A change writes the flag (conditional on its version, or on not existing) and its history entry
 * in one transaction: no change without its entry, no entry without its change.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Flag, FlagHistoryEntry } from './domain.js';
import { tableName } from '../platform/tables.js';
import { ddb } from '../platform/dynamodb/client.js';
import { ConcurrentUpdateError, StoreError } from '../platform/dynamodb/errors.js';
import { translate } from '../platform/dynamodb/translate.js';
import { queryAll, queryPage } from '../platform/dynamodb/query.js';
import { transactWrite } from '../platform/dynamodb/transaction.js';
import { keyCursor } from '../platform/dynamodb/cursor.js';

export const FLAGS_PARTITION = 'FLAGS';
export const flagKey = (name: string) => ({ pk: FLAGS_PARTITION, sk: `FLAG#${name}` });
export const flagHistoryKey = (name: string, version: number) => ({ pk: `FLAG#${name}`, sk: `H#${String(version).padStart(12, '0')}` });

const FLAG_FIELDS = ['name', 'enabled', 'actors', 'percentageOfActors', 'version', 'createdAt', 'updatedAt', 'updatedBy'] as const;

/** The flag as the API shows it: exactly its fields, in a stable order. */
export function toFlag(item: Record<string, unknown>): Flag {
  const flag = {} as Record<string, unknown>;
  for (const field of FLAG_FIELDS) flag[field] = item[field];
  flag.actors = Array.isArray(item.actors) ? item.actors : [];
  return flag as unknown as Flag;
}

const toHistoryEntry = (item: Record<string, unknown>): FlagHistoryEntry => {
  const { pk: _pk, sk: _sk, ...entry } = item;
  return entry as unknown as FlagHistoryEntry;
};

/**
 * One flag, or null when it was never created.
 *
 * @example
 * const flag = await getFlag('account_data_persistence');
 */
export async function getFlag(name: string, options: { consistent?: boolean } = {}): Promise<Flag | null> {
  const out = await translate(() =>
    ddb().send(new GetCommand({ TableName: tableName('flags'), Key: flagKey(name), ConsistentRead: options.consistent ?? true })),
  );
  return out.Item ? toFlag(out.Item) : null;
}

/** Every flag, by name: a Query on the one partition that holds them (pages followed to the end). */
export async function listFlags(): Promise<Flag[]> {
  const items = await queryAll({
    TableName: tableName('flags'),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :flag)',
    ExpressionAttributeValues: { ':pk': FLAGS_PARTITION, ':flag': 'FLAG#' },
  });
  return items.map(toFlag);
}

/** The flag changed since it was read (or was created concurrently): re-read and decide again. */
export class FlagVersionConflictError extends StoreError {
  override readonly name = 'FlagVersionConflictError';
}

// Named condition pieces: each reads as the rule it enforces.
const flagDoesNotExist = 'attribute_not_exists(pk)';
const versionMatches = '#version = :version';

/**
 * Writes a change: the flag, conditional on still being at `previousVersion` (0: on not existing),
 * and its history entry, in one transaction.
 */
export async function commitFlagChange(change: { flag: Flag; history: FlagHistoryEntry; previousVersion: number }): Promise<void> {
  const table = tableName('flags');
  const condition =
    change.previousVersion === 0
      ? { ConditionExpression: flagDoesNotExist }
      : {
          ConditionExpression: versionMatches,
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': change.previousVersion },
        };
  const conflict = (cause: Error) => new FlagVersionConflictError(`flag ${change.flag.name} changed concurrently`, { cause });
  try {
    await transactWrite(
      [
        { Put: { TableName: table, Item: { ...flagKey(change.flag.name), ...change.flag }, ...condition } },
        {
          Put: {
            TableName: table,
            Item: { ...flagHistoryKey(change.history.name, change.history.version), ...change.history },
            ConditionExpression: flagDoesNotExist,
          },
        },
      ],
      conflict,
    );
  } catch (error) {
    // A transaction conflict is the same race as a version that moved: the caller reads and decides again.
    if (error instanceof ConcurrentUpdateError) throw conflict(error);
    throw error;
  }
}

export interface FlagHistoryPage {
  items: FlagHistoryEntry[];
  nextCursor: string | null;
}

/** A flag's history, newest first, a page at a time (a Query on the flag's history partition). */
export async function listFlagHistory(name: string, options: { limit: number; cursor?: string }): Promise<FlagHistoryPage> {
  const page = await queryPage(
    {
      TableName: tableName('flags'),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
      ExpressionAttributeValues: { ':pk': `FLAG#${name}`, ':h': 'H#' },
      ScanIndexForward: false,
      Limit: options.limit,
    },
    { cursor: options.cursor || undefined, codec: keyCursor((pk, sk) => pk === `FLAG#${name}` && sk.startsWith('H#')) },
  );
  return {
    items: page.items.map(toHistoryEntry),
    nextCursor: page.nextCursor,
  };
}
