/**
 * GET /v1/reassociations?from=&to=&limit=&cursor= (operators): the reassociations of a date range,
 * newest first, with counts by reason and by ISO week — the evidence for removing each use case.
 */
import { MAX_REPORT_DAYS, reassociationReportQuery } from '../../shared/reassociation/schemas.js';
import { addDays, countReassociations, daysInRange } from '../../shared/reassociation/domain.js';
import { InvalidInputError } from '../../shared/platform/errors.js';
import { httpHandler, parseWith } from '../../shared/platform/http/handler.js';
import { listReassociations, reassociationsToCount } from '../../shared/reassociation/store.js';

/** Without `from`, the report covers this many days up to `to`. */
const DEFAULT_DAYS = 90;

export const handler = httpHandler(
  async (event, { log }) => {
    const query = parseWith(reassociationReportQuery, event.queryStringParameters ?? {}, 'query');
    const to = query.to ?? new Date().toISOString().slice(0, 10);
    const from = query.from ?? addDays(to, -(DEFAULT_DAYS - 1));
    // The schema checks from and to when both are given; with a default, check again.
    if (from > to || daysInRange(from, to) > MAX_REPORT_DAYS) {
      throw new InvalidInputError('Invalid query: check from.', [
        { field: 'from', message: `from must not be after to, and the range may span at most ${MAX_REPORT_DAYS} days` },
      ]);
    }
    const range = { from, to };
    const [page, counted] = await Promise.all([
      listReassociations(range, { limit: query.limit ?? 50, cursor: query.cursor }),
      reassociationsToCount(range),
    ]);
    const counts = countReassociations(counted, from, to);
    log.info('reassociation report', { from, to, items: page.items.length, total: counts.total });
    return { body: { from, to, items: page.items, nextCursor: page.nextCursor, counts } };
  },
  { requireOperator: true },
);
