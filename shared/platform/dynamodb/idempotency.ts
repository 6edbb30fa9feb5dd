/**
 * The idempotency table's side of a command transaction, shared by every writer: the record keyed
 * by eventId (conditional on not existing, so a concurrent duplicate cancels the transaction and
 * hands back what the winner stored) and the reading of that record from a cancellation reason.
 */
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { tableName } from '../tables.js';

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

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

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

export interface CancellationReason {
  Code?: string;
  Item?: Record<string, unknown>;
}

/** The reasons of a cancelled TransactWriteItems, or null when `error` is something else. */
export function cancellationReasons(error: unknown): CancellationReason[] | null {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return null;
  return (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
}

/** The record a concurrent request stored, when the idempotency put is what cancelled the transaction. */
export function duplicateFrom<R>(reason: CancellationReason | undefined): StoredIdempotencyRecord<R> | null {
  if (reason?.Code !== 'ConditionalCheckFailed' || !reason.Item) return null;
  return unmarshallItem(reason.Item) as unknown as StoredIdempotencyRecord<R>;
}

/** Cancellation reasons carry raw attribute values, whichever client sent the transaction. */
export function unmarshallItem(item: Record<string, unknown>): Record<string, unknown> {
  const first = Object.values(item)[0];
  const isRaw =
    typeof first === 'object' &&
    first !== null &&
    Object.keys(first).length === 1 &&
    /^(S|N|BOOL|NULL|M|L|SS|NS|B|BS)$/.test(Object.keys(first)[0]!);
  return isRaw ? unmarshall(item as Parameters<typeof unmarshall>[0]) : item;
}
