/**
 * BatchGetItem over one or several tables, to the last key: requests of at most 100 keys, and the
 * keys DynamoDB leaves unprocessed (under load it may answer only part of a batch) asked again
 * after a backoff, a bounded number of times.
 */
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { backoff } from '../backoff.js';
import type { BackoffOptions } from '../backoff.js';
import { capacityRequest, ddb } from './client.js';
import type { CallOptions } from './client.js';
import { StoreUnavailableError } from './errors.js';
import { translate } from './translate.js';

type Item = Record<string, unknown>;

/** The keys to read from one table. */
export interface TableKeys {
  /** Each key at most once: DynamoDB refuses a batch that names a key twice. */
  keys: readonly Item[];
  /** A strongly consistent read (what a write decided on this read needs). Default false. */
  consistent?: boolean;
  /**
   * Only these attributes of each item (a ProjectionExpression): names, or paths into maps
   * (`payload.asOf`); every name is aliased, so reserved words are fine. Include the key attributes
   * the caller matches items by. Default: whole items.
   */
  attributes?: readonly string[];
}

type TableRequest = { Keys: Item[]; ConsistentRead: boolean; ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string> };

/**
 * The projection part of a table's request: `#a0, #a1.#a2, …` with their names.
 *
 * @example
 * projectionOf(['pk', 'payload.asOf']) // { ProjectionExpression: '#a0, #a1.#a2', ExpressionAttributeNames: { '#a0': 'pk', '#a1': 'payload', '#a2': 'asOf' } }
 */
export function projectionOf(attributes: readonly string[] | undefined): Pick<TableRequest, 'ProjectionExpression' | 'ExpressionAttributeNames'> {
  if (!attributes?.length) return {};
  const aliases = new Map<string, string>();
  const alias = (name: string) => aliases.get(name) ?? (aliases.set(name, `#a${aliases.size}`), aliases.get(name)!);
  const expression = attributes.map((path) => path.split('.').map(alias).join('.')).join(', ');
  return { ProjectionExpression: expression, ExpressionAttributeNames: Object.fromEntries([...aliases].map(([name, a]) => [a, name])) };
}

export interface BatchGetOptions extends CallOptions {
  /** Calls per batch of 100 keys, the first included, before giving up. Default 9. */
  maxAttempts?: number;
  /** The wait between attempts (full jitter). Default from 20 ms up to 500 ms. */
  backoff?: BackoffOptions;
}

/** BatchGetItem takes at most 100 keys a call, over all its tables. */
const MAX_KEYS = 100;
const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 20, capMs: 500 };

/**
 * Reads every key of `tables` and answers the items found, by table (every table asked is there;
 * keys not stored are simply absent; the order is DynamoDB's).
 *
 * @throws StoreUnavailableError when DynamoDB kept keys unprocessed `maxAttempts` times (it is
 *   throttling us: the caller may retry later), or any store error of ./translate.ts
 *
 * @example
 * const found = await batchGetAll({
 *   [tableName('idempotency')]: { keys: [{ eventId }], consistent: true },
 *   [tableName('state')]: { keys: [nsKey(42)], consistent: true },
 * });
 * const state = found[tableName('state')]![0];
 */
export async function batchGetAll(tables: Record<string, TableKeys>, options: BatchGetOptions = {}): Promise<Record<string, Item[]>> {
  const found: Record<string, Item[]> = Object.fromEntries(Object.keys(tables).map((table) => [table, []]));
  const wanted = Object.entries(tables).flatMap(([table, { keys }]) => keys.map((key) => ({ table, key })));
  for (let start = 0; start < wanted.length; start += MAX_KEYS) {
    const request: Record<string, TableRequest> = {};
    for (const { table, key } of wanted.slice(start, start + MAX_KEYS)) {
      (request[table] ??= { Keys: [], ConsistentRead: tables[table]!.consistent ?? false, ...projectionOf(tables[table]!.attributes) }).Keys.push(key);
    }
    await readBatch(request, found, options);
  }
  return found;
}

/** One batch of at most 100 keys, following its unprocessed keys. */
async function readBatch(
  first: Record<string, TableRequest>,
  found: Record<string, Item[]>,
  options: BatchGetOptions,
): Promise<void> {
  const client = options.client ?? ddb();
  const maxAttempts = options.maxAttempts ?? 9;
  let request = first;
  for (let attempt = 1; Object.keys(request).length > 0; attempt++) {
    if (attempt > maxAttempts) {
      throw new StoreUnavailableError(`DynamoDB left keys of a BatchGetItem unprocessed ${maxAttempts} times`);
    }
    if (attempt > 1) await backoff(attempt - 1, options.backoff ?? DEFAULT_BACKOFF);
    const input = { RequestItems: request, ...capacityRequest(options) };
    const out = await translate(() => client.send(new BatchGetCommand(input)));
    options.onConsumedCapacity?.(out.ConsumedCapacity);
    for (const [table, items] of Object.entries(out.Responses ?? {})) (found[table] ??= []).push(...items);
    // Unprocessed keys come back with the table's ConsistentRead and projection: asked again as they are.
    request = Object.fromEntries(Object.entries(out.UnprocessedKeys ?? {}).filter(([, rest]) => rest.Keys?.length)) as typeof request;
  }
}
