/**
 * Reporting from other systems, by HTTP: POST /v1/errors relays a validated report to the bus as
 * `Revenue Error Reported` (source `provisioning-service`), where the one rule brings it to the
 * error-log writer like every other failure. The route answers the record id the writer will
 * count it on, derived from the report's fingerprint.
 *
 * handler (functions/error-reports) --> submitReport --> bus --> error-log writer --> store
 */
import { publish } from '../platform/bus.js';
import type { OutgoingEvent } from '../platform/bus.js';
import { SERVICE_SOURCE } from '../platform/manifest-types.js';
import { REVENUE_ERROR_REPORTED } from './domain/report.js';
import type { RevenueErrorReport } from './domain/report.js';
import { errorIdOf, reportFingerprint } from './domain/sources.js';
import { ReportNotAcceptedError } from './errors.js';

/** Puts events on the bus; answers the ids of those it did not take (shared/platform/bus.ts `publish`). */
export type Publisher = (events: readonly OutgoingEvent[], source: string) => Promise<string[]>;

/**
 * Relays `report` to the error log and answers the id of the record it will count on.
 * @throws ReportNotAcceptedError when the bus did not take it (the caller retries with the same eventId).
 *
 * @example
 * await submitReport({ eventId: 'zuora-sync-42', system: 'customers-portal', integration: 'zuora', flow: 'renewal', … })
 * // { id: 'err_…', eventId: 'zuora-sync-42' }
 */
export async function submitReport(report: RevenueErrorReport, send: Publisher = publish): Promise<{ id: string; eventId: string }> {
  const failed = await send([{ detailType: REVENUE_ERROR_REPORTED, detail: report, id: report.eventId }], SERVICE_SOURCE);
  if (failed.length > 0) throw new ReportNotAcceptedError(report.eventId);
  return { id: errorIdOf(reportFingerprint(report)), eventId: report.eventId };
}
