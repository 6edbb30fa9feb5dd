/**
 * BatchWriteItem deletes, to the last key: requests of at most 25 keys, and the ones DynamoDB leaves
 * unprocessed asked again after a backoff, a bounded number of times. For housekeeping off the
 * request path (pruning what a log no longer keeps): a delete of a key that is gone is a no-op, so a
 * retried batch is harmless.
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { backoff } from '../backoff.js';
import { ddb } from './client.js';
import type { CallOptions } from './client.js';
import { StoreUnavailableError } from './errors.js';
import { translate } from './translate.js';

type Key = Record<string, unknown>;

/** BatchWriteItem takes at most 25 requests a call. */
const MAX_KEYS = 25;
const MAX_ATTEMPTS = 9;

/**
 * Deletes every key of `keys` from `table`.
 *
 * @throws StoreUnavailableError when DynamoDB kept keys unprocessed 9 times, or any store error of ./translate.ts
 *
 * @example
 * await batchDeleteAll(tableName('state'), [{ pk: 'NS#42', sk: 'LOG#2025-01-01T…' }]);
 */
export async function batchDeleteAll(table: string, keys: readonly Key[], options: CallOptions = {}): Promise<void> {
  const client = options.client ?? ddb();
  for (let start = 0; start < keys.length; start += MAX_KEYS) {
    let pending = keys.slice(start, start + MAX_KEYS).map((key) => ({ DeleteRequest: { Key: key } }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_ATTEMPTS) throw new StoreUnavailableError(`DynamoDB left ${pending.length} deletes unprocessed ${MAX_ATTEMPTS} times`);
      if (attempt > 1) await backoff(attempt, { baseMs: 20, capMs: 500 });
      const command = new BatchWriteCommand({ RequestItems: { [table]: pending } });
      const out = await translate(() => client.send(command));
      pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
    }
  }
}
