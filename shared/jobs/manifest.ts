/**
 * The operator route of a job, as its feature's manifest declares it next to the job's schedule
 * (shared/audit/manifest.ts, shared/error-log/manifest.ts). Not imported by any function: only the
 * manifest needs the route's documentation.
 */
import * as z from '../platform/zod.js';
import type { HttpTrigger } from '../platform/manifest-types.js';
import { jobRunPath } from './names.js';
import type { JobName } from './names.js';
import { jobRunBody } from './schemas.js';

const jobSummary = z
  .looseObject({ job: z.string(), period: z.optional(z.string()), status: z.string() })
  .check(
    z.describe(
      "The job's summary: for a digest its period, status (created, adopted, resumed, already_done, nothing_to_report, skipped), issue, errors by code, links set",
    ),
  );

/**
 * `POST /v1/jobs/<name>/runs` (operators; optional asOf, YYYY-MM-DD, default today), documented
 * with what running the job now does.
 *
 * @example
 * triggers: [{ kind: 'schedule', cron: 'cron(0 5 * * ? *)' }, jobRunTrigger('reconciliation-audit', 'Runs the audit now …')]
 */
export const jobRunTrigger = (name: JobName, summary: string): HttpTrigger => ({
  kind: 'http',
  method: 'POST',
  path: jobRunPath(name),
  auth: 'operator',
  role: 'admin',
  doc: { summary, body: jobRunBody, response: jobSummary },
});

/** The route every job name that has no function of its own reaches. */
export const unknownJobTrigger: HttpTrigger = {
  kind: 'http',
  method: 'POST',
  path: '/v1/jobs/{job}/runs',
  auth: 'operator',
  role: 'admin',
  doc: { summary: 'Any other job name (operators): 404 not_found naming the jobs there are', body: jobRunBody },
};
