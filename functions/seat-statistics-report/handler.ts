/**
 * GET /v1/seat-statistics/corrections?from=&to=&limit=&cursor= (operators): the corrections of
 * terms' peaks applied in a date range, newest first, with counts by reason and by ISO week — how
 * often seat statistics still need a manual fix, and why.
 */
import { CORRECTION_REASONS } from '../../shared/lifecycle/domain/types.js';
import { correctionsToCount, listCorrections } from '../../shared/lifecycle/store.js';
import { reportHandler } from '../../shared/platform/http/report.js';
import { countByReasonAndWeek } from '../../shared/platform/report.js';

export const handler = reportHandler({
  name: 'corrections report',
  list: listCorrections,
  count: async (range) => countByReasonAndWeek(CORRECTION_REASONS, await correctionsToCount(range), range),
});
