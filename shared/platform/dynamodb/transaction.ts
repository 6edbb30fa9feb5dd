/**
 * TransactWriteItems with every cancellation reason mapped (./translate.ts): a condition that did
 * not hold becomes what the caller says it means for that item, a conflict with another transaction
 * a ConcurrentUpdateError (read again, decide again), throttling a StoreUnavailableError (503 with
 * Retry-After), an invalid transaction or an unknown reason a StoreError. Never a raw SDK error.
 */
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { capacityRequest, ddb } from './client.js';
import type { CallOptions } from './client.js';
import { translate } from './translate.js';
import type { OnConditionFailed } from './translate.js';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
export type { OnConditionFailed } from './translate.js';

/**
 * Writes `items` all or nothing.
 *
 * @param onConditionFailed what the failed conditions mean, by item index (`failed.at(i)`, with the
 *   item as stored when that item asked for `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`);
 *   answering undefined (or leaving it out) lets the ConditionFailedError itself go up
 * @throws the caller's error for a failed condition; ConcurrentUpdateError; StoreUnavailableError; StoreError
 *
 * @example
 * await transactWrite([statePut, historyPut, idempotencyPut(record)], (failed) => {
 *   const duplicate = duplicateFrom<NamespaceState>(failed.at(2));
 *   if (duplicate) return new DuplicateEventError(duplicate);
 *   return new ConcurrentUpdateError('another change to this namespace won the race', { cause: failed });
 * });
 */
export async function transactWrite(items: TransactItem[], onConditionFailed?: OnConditionFailed, options: CallOptions = {}): Promise<void> {
  const client = options.client ?? ddb();
  const command = new TransactWriteCommand({ TransactItems: items, ...capacityRequest(options) });
  const out = await translate(() => client.send(command), onConditionFailed);
  options.onConsumedCapacity?.(out.ConsumedCapacity);
}
