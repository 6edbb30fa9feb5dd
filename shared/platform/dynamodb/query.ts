/**
 * Query, a page at a time or to the end: every partition listing of the stores goes through here,
 * so paging, cursors and capacity reporting are written once.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { capacityRequest, ddb } from './client.js';
import type { CallOptions } from './client.js';
import type { CursorCodec } from './cursor.js';
import { StoreError } from './errors.js';
import { translate } from './translate.js';

type Item = Record<string, unknown>;

export interface QueryPage {
  items: Item[];
  /** The cursor of the next page (by `codec`), null on the last page or without a codec. */
  nextCursor: string | null;
  /** Where the next page starts, for callers that keep the key themselves (the audit's checkpoint). */
  lastEvaluatedKey: Item | undefined;
}

export interface PageOptions extends CallOptions {
  /** The cursor the caller sent, decoded (and checked) by `codec` into the page's ExclusiveStartKey. */
  cursor?: string;
  codec?: CursorCodec;
}

/**
 * One Query call: one page of at most `input.Limit` items.
 *
 * @throws InvalidCursorError when `cursor` is not one `codec` gave out
 *
 * @example
 * const page = await queryPage(
 *   { TableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'FLAGS' }, Limit: 50 },
 *   { cursor, codec: keyCursor((pk) => pk === 'FLAGS') },
 * );
 * return { items: page.items.map(toFlag), nextCursor: page.nextCursor };
 */
export async function queryPage(input: QueryCommandInput, options: PageOptions = {}): Promise<QueryPage> {
  if (options.cursor !== undefined && !options.codec) throw new StoreError('a cursor cannot be read without its codec');
  const start = options.cursor !== undefined ? options.codec!.decode(options.cursor) : input.ExclusiveStartKey;
  const client = options.client ?? ddb();
  const { ExclusiveStartKey: _given, ...rest } = input;
  const command = new QueryCommand({ ...rest, ...(start ? { ExclusiveStartKey: start } : {}), ...capacityRequest(options) });
  const out = await translate(() => client.send(command));
  options.onConsumedCapacity?.(out.ConsumedCapacity);
  return {
    items: out.Items ?? [],
    nextCursor: options.codec ? options.codec.encode(out.LastEvaluatedKey) : null,
    lastEvaluatedKey: out.LastEvaluatedKey,
  };
}

export interface QueryAllOptions extends CallOptions {
  /** Stop once this many items are read (the answer holds at most `max`). Default: no limit. */
  max?: number;
}

/**
 * Every item a Query matches, following LastEvaluatedKey page after page (to `max` items).
 *
 * @example
 * const flags = await queryAll({ TableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'FLAGS' } });
 */
export async function queryAll(input: QueryCommandInput, options: QueryAllOptions = {}): Promise<Item[]> {
  const max = options.max ?? Infinity;
  const items: Item[] = [];
  let start = input.ExclusiveStartKey;
  do {
    const page = await queryPage({ ...input, ExclusiveStartKey: start }, options);
    items.push(...page.items);
    start = page.lastEvaluatedKey;
  } while (start && items.length < max);
  return items.length > max ? items.slice(0, max) : items;
}
