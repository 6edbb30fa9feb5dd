/**
 * Records kept a partition per month of when they were applied: `<prefix>#<YYYY-MM>` /
 * `<appliedAt>#<eventId>` (UTC). A date range's records are in the months it touches, each queried
 * newest first within the range — never a Scan. The operators' reports (reassociations,
 * corrections) list and count their records here; what a record holds is the feature's.
 */
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../tables.js';
import type { TableKey } from '../tables.js';
import { monthsNewestFirst } from '../dates.js';
import type { DateRange } from '../dates.js';
import { decodeKeyCursor, encodeKeyCursor } from './cursor.js';
import { queryAll, queryPage } from './query.js';

type Item = Record<string, unknown>;

/** Where a kind of record is kept. */
export interface MonthlyRecords {
  table: TableKey;
  /** The partition key's prefix, e.g. `REASSOC` for `REASSOC#2026-03`. */
  prefix: string;
}

export interface MonthlyPage {
  /** The records, newest first, without their keys. */
  items: Item[];
  nextCursor: string | null;
}

/**
 * The key of a record applied at `appliedAt`: its month's partition, sorted by time.
 *
 * @example
 * monthlyKey({ table: 'state', prefix: 'CORR' }, '2026-03-02T10:00:00.000Z', 'c-1');
 * // { pk: 'CORR#2026-03', sk: '2026-03-02T10:00:00.000Z#c-1' }
 */
export const monthlyKey = (records: MonthlyRecords, appliedAt: string, eventId: string) => ({
  pk: `${records.prefix}#${appliedAt.slice(0, 7)}`,
  sk: `${appliedAt}#${eventId}`,
});

const partition = (records: MonthlyRecords, month: string) => `${records.prefix}#${month}`;

/** Sort-key bounds of a date range: `<appliedAt>#<eventId>` sorts by time. */
const bounds = (range: DateRange) => ({ ':lo': `${range.from}T`, ':hi': `${range.to}T~` });

/**
 * Records applied within the range, newest first, a page at a time: a Query per month partition,
 * from the newest month of the range to the oldest, until the page is full.
 *
 * @throws InvalidCursorError when `cursor` is not a nextCursor of the same records and range
 * @example
 * const page = await listMonthly({ table: 'state', prefix: 'CORR' }, { from: '2026-01-01', to: '2026-03-31' }, { limit: 50 });
 * // page.items: the newest 50; page.nextCursor: where the next page starts, or null
 */
export async function listMonthly(records: MonthlyRecords, range: DateRange, options: { limit: number; cursor?: string }): Promise<MonthlyPage> {
  const months = monthsNewestFirst(range.from, range.to);
  let start: Item | undefined = options.cursor ? decodeMonthlyCursor(records, options.cursor, range) : undefined;
  const firstMonth = start ? months.indexOf(String(start.pk).slice(records.prefix.length + 1)) : 0;
  const items: Item[] = [];
  for (let index = firstMonth; index < months.length; index++) {
    do {
      const page = await queryPage(monthQuery(records, months[index]!, range, { Limit: options.limit - items.length, ExclusiveStartKey: start }));
      items.push(...page.items);
      start = page.lastEvaluatedKey;
      if (items.length >= options.limit) {
        if (start) return { items: items.map(withoutKeys), nextCursor: encodeKeyCursor(start) };
        // This month is exhausted: older months may hold more.
        return { items: items.map(withoutKeys), nextCursor: index < months.length - 1 ? encodeKeyCursor(items.at(-1)) : null };
      }
    } while (start);
  }
  return { items: items.map(withoutKeys), nextCursor: null };
}

/**
 * The given attributes of every record applied within the range (what counting needs, not whole
 * records), newest month first.
 *
 * @example
 * const counted = await queryMonthly({ table: 'state', prefix: 'CORR' }, range, ['reason', 'appliedAt']);
 */
export async function queryMonthly(records: MonthlyRecords, range: DateRange, attributes: readonly string[]): Promise<Item[]> {
  // Every attribute by a placeholder: some (`reason`) are reserved words.
  const names = Object.fromEntries(attributes.map((attribute, i) => [`#a${i}`, attribute]));
  const projection = { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names };
  const items: Item[] = [];
  for (const month of monthsNewestFirst(range.from, range.to)) items.push(...(await queryAll(monthQuery(records, month, range, projection))));
  return items;
}

/** The Query of one month's partition within the range, newest first. */
function monthQuery(records: MonthlyRecords, month: string, range: DateRange, extra: Partial<QueryCommandInput>): QueryCommandInput {
  return {
    TableName: tableName(records.table),
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
    ExpressionAttributeValues: { ':pk': partition(records, month), ...bounds(range) },
    ScanIndexForward: false,
    ...extra,
  };
}

/**
 * The key a cursor stands for. A cursor is opaque to callers; a forged one can only point at a
 * record key of the same records inside the same range.
 *
 * @throws InvalidCursorError otherwise
 */
export function decodeMonthlyCursor(records: MonthlyRecords, cursor: string, range: DateRange): { pk: string; sk: string } {
  const months = new Set(monthsNewestFirst(range.from, range.to).map((month) => partition(records, month)));
  const { ':lo': lo, ':hi': hi } = bounds(range);
  return decodeKeyCursor(
    cursor,
    (pk, sk) => months.has(pk) && pk === partition(records, sk.slice(0, 7)) && sk >= lo && sk <= hi,
    'Invalid cursor: pass the nextCursor of the previous page with the same from and to.',
  );
}

function withoutKeys(item: Item): Item {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest;
}
