/**
 * The one translation of DynamoDB failures into store errors (./errors.ts), applied to every call a
 * store sends: no caller above the adapter ever sees an SDK exception.
 *
 * | SDK failure                                              | store error                          |
 * |----------------------------------------------------------|--------------------------------------|
 * | already an application error (a caller's own)           | unchanged                            |
 * | ConditionalCheckFailedException                          | ConditionFailedError (item: ALL_OLD) |
 * | TransactionCanceledException, by its reasons:            |                                      |
 * |   any ConditionalCheckFailed                             | the caller's `onConditionFailed`, else ConditionFailedError |
 * |   ValidationError, ItemCollectionSizeLimitExceeded, other| StoreError (internal)                |
 * |   TransactionConflict                                    | ConcurrentUpdateError                |
 * |   ProvisionedThroughputExceeded, ThrottlingError, RequestLimitExceeded | StoreUnavailableError |
 * | TransactionConflictException (a write met a transaction) | ConcurrentUpdateError                |
 * | throttled, unreachable, 5xx (isUnavailable)              | StoreUnavailableError                |
 * | anything else                                            | StoreError, with the cause kept      |
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ApplicationError } from '../errors.js';
import { ConcurrentUpdateError, ConditionFailedError, StoreError, StoreUnavailableError, isUnavailable } from './errors.js';
import type { FailedCondition } from './errors.js';

/**
 * What a caller makes of the conditions that failed in its write (by item index), or undefined to
 * let the ConditionFailedError itself go up.
 */
export type OnConditionFailed = (failed: ConditionFailedError) => Error | undefined;

interface CancellationReason {
  Code?: string;
  Message?: string;
  Item?: Record<string, AttributeValue>;
}

// The reasons a cancelled transaction may give (DynamoDB API reference, TransactWriteItems).
const THROTTLED = new Set(['ProvisionedThroughputExceeded', 'ThrottlingError', 'RequestLimitExceeded']);
const NOT_A_FAILURE = new Set(['None', undefined]);

/**
 * The item an error carries: errors keep raw attribute values (lib-dynamodb converts only results),
 * and an empty map means there is no item.
 */
export function itemOf(raw: Record<string, AttributeValue> | undefined): Record<string, unknown> | undefined {
  if (!raw || Object.keys(raw).length === 0) return undefined;
  return unmarshall(raw);
}

/** The store error that says why a transaction was cancelled (the table at the top of this file). */
function cancellationError(error: Error & { CancellationReasons?: CancellationReason[] }, onConditionFailed?: OnConditionFailed): Error {
  const reasons = error.CancellationReasons ?? [];
  const failed: FailedCondition[] = reasons.flatMap((reason, index) =>
    reason.Code === 'ConditionalCheckFailed' ? [{ index, item: itemOf(reason.Item) }] : [],
  );
  // A condition that did not hold decides: retrying the same write would only fail again.
  if (failed.length > 0) {
    const conditionFailed = new ConditionFailedError(`condition failed on item ${failed.map((f) => f.index).join(', ')} of the transaction`, failed, { cause: error });
    return onConditionFailed?.(conditionFailed) ?? conditionFailed;
  }
  const codes = reasons.map((reason) => reason.Code).filter((code) => !NOT_A_FAILURE.has(code));
  const described = reasons.map((reason, index) => `${index}: ${reason.Code ?? 'None'}`).join(', ');
  // A bug of ours (an invalid item, an item collection over 10 GB) or a reason we do not know: retrying cannot help.
  if (codes.length === 0 || codes.some((code) => code !== 'TransactionConflict' && !THROTTLED.has(code!))) {
    return new StoreError(`transaction cancelled (${described})`, { cause: error });
  }
  if (codes.includes('TransactionConflict')) {
    return new ConcurrentUpdateError('another transaction changed the same items at the same time', { cause: error });
  }
  return new StoreUnavailableError(`DynamoDB throttled the transaction (${described})`, { cause: error });
}

/**
 * The store error for a failed DynamoDB call. Application errors pass unchanged (a caller's own
 * error thrown inside the call); nothing else leaves as it came.
 */
export function toStoreError(error: unknown, onConditionFailed?: OnConditionFailed): Error {
  if (error instanceof ApplicationError) return error;
  if (error instanceof Error) {
    if (error.name === 'ConditionalCheckFailedException') {
      const item = itemOf((error as { Item?: Record<string, AttributeValue> }).Item);
      const failed = new ConditionFailedError('the condition of the write did not hold', [{ index: 0, item }], { cause: error });
      return onConditionFailed?.(failed) ?? failed;
    }
    if (error.name === 'TransactionCanceledException') return cancellationError(error, onConditionFailed);
    if (error.name === 'TransactionConflictException') {
      return new ConcurrentUpdateError('the item was being changed by a transaction', { cause: error });
    }
  }
  if (isUnavailable(error)) return new StoreUnavailableError('DynamoDB is unavailable', { cause: error });
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new StoreError(`DynamoDB call failed: ${what}`, { cause: error });
}

/**
 * Runs one store call and translates its failure (toStoreError).
 *
 * @example
 * const out = await translate(() => ddb().send(new GetCommand({ TableName, Key })));
 */
export async function translate<T>(call: () => Promise<T>, onConditionFailed?: OnConditionFailed): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toStoreError(error, onConditionFailed);
  }
}
