/**
 * The error log: one writer fed by one rule (async failures, `Provisioning Failed`, `Audit Finding`),
 * the operator's workflow routes, the digests (scheduled and on demand) and GitLab's webhook.
 */
import * as z from '../platform/zod.js';
import { AUDIT_FINDING, LAMBDA_FAILURE_DETAIL_TYPE, PROVISIONING_FAILED } from '../platform/failure-events.js';
import { jobRunTrigger, unknownJobTrigger } from '../jobs/index.js';
import { COMMERCE_SOURCE, SERVICE_SOURCE } from '../platform/manifest-types.js';
import type { EventPattern, FunctionSpec } from '../platform/manifest-types.js';
import { ISSUE_RESOLUTION_CONTINUED, issueHookPayload } from './domain/gitlab-webhook.js';
import { errorPatchBody, errorRecordSchema, occurrenceEvidenceSchema } from './domain/record.js';
import { REVENUE_ERROR_REPORTED, revenueErrorReport } from './domain/report.js';
import { errorLogOpsFunctions, recordGuidanceSchema } from './manifest-ops.js';

/** A record with its runbook and links to its systems of record (GET and PATCH /v1/errors/{id}). */
const errorRecordView = z.extend(errorRecordSchema, recordGuidanceSchema);

/**
 * The one path into the error log: every failure event on the bus, by one rule. Reports of other
 * systems come from the customers portal (on the bus) or from POST /v1/errors, which relays them
 * as `provisioning-service`.
 */
export const failurePattern: EventPattern = {
  $or: [
    { source: ['lambda'], 'detail-type': [LAMBDA_FAILURE_DETAIL_TYPE] },
    { source: [SERVICE_SOURCE], 'detail-type': [PROVISIONING_FAILED, AUDIT_FINDING, REVENUE_ERROR_REPORTED] },
    { source: [COMMERCE_SOURCE], 'detail-type': [REVENUE_ERROR_REPORTED] },
  ],
};

const digestConfig = ['gitlabUrl', 'gitlabProjectId', 'gitlabToken', 'adminBaseUrl', 'slackWebhookUrl'] as const;

/** A digest's function: its job (shared/error-log/digest-job.ts) run on its schedule and by operators. */
function digestFunction(period: 'daily' | 'weekly', description: string, cron: string, runSummary: string): FunctionSpec {
  const name = `${period}-digest` as const;
  return {
    name,
    description,
    entry: `functions/${name}/handler.ts`,
    triggers: [{ kind: 'schedule', cron }, jobRunTrigger(name, runSummary)],
    tables: { errors: 'readWrite' },
    // A 5xx on the operator's route is a Provisioning Failed event (granted to every function with a route).
    config: digestConfig,
    timeoutSeconds: 120,
  };
}

export const errorLogFunctions: readonly FunctionSpec[] = [
  {
    name: 'error-log-writer',
    description: 'Writes every failure (async failures, Provisioning Failed, Audit Finding, Revenue Error Reported) to the error log; announces new ones on Slack.',
    entry: 'functions/error-log-writer/handler.ts',
    triggers: [{ kind: 'event', pattern: failurePattern }],
    tables: { errors: 'readWrite' },
    // Its own failures go to a queue: fed back to the bus they would come straight back to it.
    asyncFailures: 'queue',
    config: ['slackWebhookUrl', 'adminBaseUrl', 'errorLogNoiseCodes'],
    timeoutSeconds: 30,
  },
  {
    name: 'error-log',
    description: 'The error log for operators: list, read, and move records along the workflow.',
    entry: 'functions/error-log/handler.ts',
    triggers: [
      {
        kind: 'http',
        method: 'GET',
        path: '/v1/errors',
        auth: 'operator',
        role: 'viewer',
        doc: {
          summary:
            'The error log, newest first (operators); query status (open, needs_attention, in_progress, resolved), system, integration (or "none"), flow, code, limit (1–100, 25), cursor. With system, integration, flow or code, a page reads up to 500 records of the status (or all) and may hold fewer than limit: follow nextCursor until it is null',
          response: z.object({
            items: z.array(z.extend(z.omit(errorRecordSchema, { changes: true }), { changes: z.array(z.unknown()) })),
            nextCursor: z.nullable(z.string()),
          }),
        },
      },
      {
        kind: 'http',
        method: 'GET',
        path: '/v1/errors/{id}',
        auth: 'operator',
        role: 'viewer',
        doc: {
          summary: 'One error record with its change log, its last 20 occurrences (newest first), the runbook of its code and links to its systems of record (operators)',
          response: z.extend(errorRecordView, { recentOccurrences: z.array(occurrenceEvidenceSchema) }),
        },
      },
      {
        kind: 'http',
        method: 'PATCH',
        path: '/v1/errors/{id}',
        auth: 'operator',
        role: 'support',
        doc: {
          summary:
            'Moves an error along the workflow and/or sets notes and the GitLab issue link (operators). Moves: open → resolved, open → needs_attention → in_progress → resolved; anything else is 409 invalid_transition',
          body: errorPatchBody,
          response: errorRecordView,
        },
      },
    ],
    tables: { errors: 'readWrite' },
    config: ['adminBaseUrl', 'errorLogSubjectLinks'],
  },
  ...errorLogOpsFunctions,
  {
    name: 'error-reports',
    description: 'POST /v1/errors: another system reports a failure; relayed to the bus as Revenue Error Reported for the error-log writer.',
    entry: 'functions/error-reports/handler.ts',
    triggers: [
      {
        kind: 'http',
        method: 'POST',
        path: '/v1/errors',
        auth: 'service',
        doc: {
          summary:
            'Reports a failure of another system (services): 202 with the id of the record it counts on (from its fingerprint: code, system, integration, flow, subject). Idempotent on eventId: the same report twice, or by HTTP and on the bus, counts once',
          body: revenueErrorReport,
          status: 202,
          response: z.object({ id: z.string(), eventId: z.string() }),
        },
      },
    ],
    tables: {},
    publishes: [{ source: SERVICE_SOURCE, detailTypes: [REVENUE_ERROR_REPORTED] }],
  },
  {
    name: 'jobs',
    description: 'POST /v1/jobs/{job}/runs for a job that does not exist: 404 naming the jobs there are (each job has its own route on its own function).',
    entry: 'functions/jobs/handler.ts',
    triggers: [unknownJobTrigger],
    tables: {},
    // A 5xx is a Provisioning Failed event (granted to every function with a route).
  },
  digestFunction(
    'daily',
    "Every day at 06:00 UTC: one GitLab issue with yesterday's new and still-open errors.",
    'cron(0 6 * * ? *)',
    "Runs the daily digest now for the day before asOf (operators): one GitLab issue with that day's new and still-open errors; running it again for the same day opens none; 409 digest_in_progress while another run holds it",
  ),
  digestFunction(
    'weekly',
    "Every Monday at 06:00 UTC: one GitLab issue with last week's new and still-open errors.",
    'cron(0 6 ? * MON *)',
    "Runs the weekly digest now for the ISO week before asOf (operators): one GitLab issue with that week's new and still-open errors; running it again for the same week opens none; 409 digest_in_progress while another run holds it",
  ),
  {
    name: 'gitlab-webhook',
    description: "GitLab's issue webhook: a closed digest issue resolves the errors linked to it.",
    entry: 'functions/gitlab-webhook/handler.ts',
    triggers: [
      {
        kind: 'http',
        method: 'POST',
        path: '/v1/webhooks/gitlab',
        auth: 'webhook',
        doc: {
          summary:
            "GitLab's issue webhook (X-Gitlab-Token, checked in constant time): a closed issue resolves the errors linked to it, 500 per invocation; 202 (continues: true) when more are linked and resolved by Issue Resolution Continued events",
          body: issueHookPayload,
          response: z.union([
            z.object({ issue: z.string(), resolved: z.array(z.string()), alreadyResolved: z.array(z.string()), skipped: z.array(z.string()), continues: z.boolean() }),
            z.object({ ignored: z.literal(true), reason: z.string() }),
          ]),
        },
      },
      // The rest of a large issue, a chunk per event, continued by this function itself.
      { kind: 'event', pattern: { source: [SERVICE_SOURCE], 'detail-type': [ISSUE_RESOLUTION_CONTINUED] } },
    ],
    tables: { errors: 'readWrite' },
    // It puts Issue Resolution Continued on the bus; a 5xx of its route is a Provisioning Failed event.
    publishes: [{ source: SERVICE_SOURCE, detailTypes: [ISSUE_RESOLUTION_CONTINUED] }],
    config: ['gitlabWebhookSecret'],
  },
];

/**
 * The Lambda request authorizer of `webhook` routes in AWS (identity source: X-Gitlab-Token). Not
 * a manifest function: it has no trigger of its own; the stack attaches it to webhook routes.
 * Locally the handler's own check is the only one (and it runs in AWS too).
 */
export const webhookAuthorizerFunction: FunctionSpec = {
  name: 'webhook-authorizer',
  description: 'Authorizes webhook routes: X-Gitlab-Token must equal the GitLab webhook secret (constant-time).',
  entry: 'functions/webhook-authorizer/handler.ts',
  triggers: [],
  tables: {},
  config: ['gitlabWebhookSecret'],
};
