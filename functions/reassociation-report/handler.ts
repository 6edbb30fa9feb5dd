/**
 * GET /v1/reassociations?from=&to=&limit=&cursor= (operators): the reassociations of a date range,
 * newest first, with counts by reason and by ISO week — the evidence for removing each use case.
 */
import { countReassociations } from '../../shared/reassociation/domain.js';
import { reportHandler } from '../../shared/platform/http/report.js';
import { listReassociations, reassociationsToCount } from '../../shared/reassociation/store.js';

export const handler = reportHandler({
  name: 'reassociation report',
  list: listReassociations,
  count: async (range) => countReassociations(await reassociationsToCount(range), range.from, range.to),
});
