/**
 * The idempotency table's side of a command transaction, shared by every writer: the record keyed
 * by eventId (conditional on not existing, so a concurrent duplicate cancels the transaction and
 * hands back what the winner stored) and the reading of that record from the transaction's failed
 * conditions (./transaction.ts).
 */
import { tableName } from '../tables.js';
import type { FailedCondition } from './errors.js';
import type { TransactItem } from './transaction.js';

/** Idempotency records are kept this long: a replay within it answers the stored result. */
export const IDEMPOTENCY_TTL_DAYS = 90;

/** One applied eventId: the hash of the request and the result it produced. */
export interface StoredIdempotencyRecord<R> {
  eventId: string;
  requestHash: string;
  commandType: string;
  namespaceId: number;
  result: R;
  appliedAt: string;
  /** Epoch seconds: DynamoDB's TTL removes the record after this. */
  expiresAt: number;
}

export type { TransactItem } from './transaction.js';

/** When a record written now expires (epoch seconds). */
export const idempotencyExpiresAt = (now: Date): number => Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_DAYS * 86_400;

/** The transaction item that stores `record`, only if its eventId was never applied. */
export function idempotencyPut(record: StoredIdempotencyRecord<unknown>): TransactItem {
  return {
    Put: {
      TableName: tableName('idempotency'),
      Item: record,
      ConditionExpression: 'attribute_not_exists(eventId)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

/**
 * The record a concurrent request stored, when the idempotency put is what failed: pass
 * `failed.at(index of idempotencyPut)` from transactWrite's onConditionFailed.
 */
export function duplicateFrom<R>(failure: FailedCondition | undefined): StoredIdempotencyRecord<R> | null {
  return failure?.item ? (failure.item as unknown as StoredIdempotencyRecord<R>) : null;
}
