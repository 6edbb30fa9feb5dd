/** OpenAPI entries of the error log, jobs and webhook routes (spread into routeDocs of shared/service/openapi.ts). */
import * as z from '../platform/zod.js';
import { JOB_NAMES, jobRunBody, jobRunPath } from '../jobs/index.js';
import type { JobName } from '../jobs/index.js';
import { issueHookPayload } from './domain/gitlab-webhook.js';
import { errorPatchBody, errorRecordSchema } from './domain/record.js';

interface RouteDoc {
  summary: string;
  body?: z.ZodMiniType;
  /** What a 200 carries; absent for a route that never answers 200. */
  response?: z.ZodMiniType;
  dryRun?: boolean;
}

const jobSummary = z
  .looseObject({ job: z.string(), period: z.optional(z.string()), status: z.string() })
  .check(
    z.describe(
      "The job's summary: for a digest its period, status (created, adopted, resumed, already_done, nothing_to_report, skipped), issue, errors by code, links set",
    ),
  );

/** What running each job now does (operators; optional asOf, YYYY-MM-DD, default today). */
const JOB_RUNS: Record<JobName, string> = {
  'reconciliation-audit':
    'Runs the reconciliation audit now for asOf (operators): findings by code, new, resolved and items examined; status "partial" when its 20 s budget ran out (call again with the same asOf to resume); 409 audit_in_progress while another run holds it',
  'daily-digest':
    "Runs the daily digest now for the day before asOf (operators): one GitLab issue with that day's new and still-open errors; running it again for the same day opens none; 409 digest_in_progress while another run holds it",
  'weekly-digest':
    "Runs the weekly digest now for the ISO week before asOf (operators): one GitLab issue with that week's new and still-open errors; running it again for the same week opens none; 409 digest_in_progress while another run holds it",
};

export const errorLogRouteDocs: Record<string, RouteDoc> = {
  'GET /v1/errors': {
    summary: 'The error log, newest first (operators); query status (open, needs_attention, in_progress, resolved), limit (1–100, 25), cursor',
    response: z.object({
      items: z.array(z.extend(z.omit(errorRecordSchema, { changes: true }), { changes: z.array(z.unknown()) })),
      nextCursor: z.nullable(z.string()),
    }),
  },
  'GET /v1/errors/{id}': { summary: 'One error record with its change log (operators)', response: errorRecordSchema },
  'PATCH /v1/errors/{id}': {
    summary:
      'Moves an error along the workflow and/or sets notes and the GitLab issue link (operators). Moves: open → resolved, open → needs_attention → in_progress → resolved; anything else is 409 invalid_transition',
    body: errorPatchBody,
    response: errorRecordSchema,
  },
  ...Object.fromEntries(JOB_NAMES.map((name) => [`POST ${jobRunPath(name)}`, { summary: JOB_RUNS[name], body: jobRunBody, response: jobSummary }])),
  'POST /v1/jobs/{job}/runs': {
    summary: 'Any other job name (operators): 404 not_found naming the jobs there are',
    body: jobRunBody,
  },
  'POST /v1/webhooks/gitlab': {
    summary: "GitLab's issue webhook (X-Gitlab-Token, checked in constant time): a closed issue resolves the errors linked to it",
    body: issueHookPayload,
    response: z.union([
      z.object({ issue: z.string(), resolved: z.array(z.string()), alreadyResolved: z.array(z.string()), skipped: z.array(z.string()) }),
      z.object({ ignored: z.literal(true), reason: z.string() }),
    ]),
  },
};
