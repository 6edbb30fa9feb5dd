/**
 * The handler of an operators' report route (`GET …?from=&to=&limit=&cursor=`): parse the query,
 * settle the range, read one page and the counts of the whole range, answer both. Each report
 * brings only its listing and its counting (shared/platform/report.ts, dynamodb/monthly.ts).
 */
import type { DateRange } from '../dates.js';
import { DEFAULT_REPORT_PAGE, reportQuery, reportRange } from '../report.js';
import { parseWith } from './handler.js';
import { operatorHandler } from './operator-token.js';

export interface OperatorReport<T, C extends { total: number }> {
  /** The log line's message, e.g. `corrections report`. */
  name: string;
  /** One page of the range's records, newest first. */
  list(range: DateRange, page: { limit: number; cursor?: string }): Promise<{ items: T[]; nextCursor: string | null }>;
  /** The counts of every record in the range. */
  count(range: DateRange): Promise<C>;
}

/**
 * An operator-only route answering `{ from, to, items, nextCursor, counts }`.
 *
 * @example
 * export const handler = reportHandler({ name: 'corrections report', list: listCorrections, count: countCorrectionsIn });
 */
export function reportHandler<T, C extends { total: number }>(report: OperatorReport<T, C>) {
  return operatorHandler(
    async (event, { log }) => {
      const query = parseWith(reportQuery, event.queryStringParameters ?? {}, 'query');
      const range = reportRange(query, new Date().toISOString().slice(0, 10));
      const [page, counts] = await Promise.all([
        report.list(range, { limit: query.limit ?? DEFAULT_REPORT_PAGE, cursor: query.cursor }),
        report.count(range),
      ]);
      log.info(report.name, { ...range, items: page.items.length, total: counts.total });
      return { body: { ...range, items: page.items, nextCursor: page.nextCursor, counts } };
    },
  );
}
