/** OpenAPI entries of the error log, jobs and webhook routes (spread into routeDocs of shared/openapi.ts). */
import * as z from '../zod.js';
import { issueHookPayload } from './gitlab-webhook.js';
import { errorPatchBody, errorRecordSchema } from './record.js';

interface RouteDoc {
  summary: string;
  body?: z.ZodMiniType;
  response: z.ZodMiniType;
  dryRun?: boolean;
}

const jobSummary = z
  .looseObject({ job: z.string(), period: z.optional(z.string()), status: z.string() })
  .check(
    z.describe(
      "The job's summary: for a digest its period, status (created, adopted, resumed, already_done, nothing_to_report, skipped), issue, errors by code, links set",
    ),
  );

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
  'POST /v1/jobs/{job}/runs': {
    summary:
      'Runs a scheduled job now (operators): reconciliation-audit, daily-digest, weekly-digest; optional asOf (YYYY-MM-DD). The audit answers findings by code, new, resolved and items examined (status "partial" when its time budget ran out: call again to finish); 409 digest_in_progress or audit_in_progress while another run holds it',
    body: z.strictObject({ asOf: z.optional(z.iso.date()) }),
    response: jobSummary,
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
