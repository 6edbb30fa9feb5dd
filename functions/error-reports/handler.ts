/** POST /v1/errors: another system reports a failure (shared/error-log/reports.ts); 202 with the record id. */
import { revenueErrorReport } from '../../shared/error-log/domain/report.js';
import { submitReport } from '../../shared/error-log/reports.js';
import { httpHandler, parseBody } from '../../shared/platform/http/handler.js';

export const handler = httpHandler(async (event, { log }) => {
  const report = parseBody(event, revenueErrorReport);
  const accepted = await submitReport(report);
  log.info('failure report relayed to the error log', { errorId: accepted.id, eventId: report.eventId, system: report.system, code: report.code });
  return { statusCode: 202, body: accepted };
});
