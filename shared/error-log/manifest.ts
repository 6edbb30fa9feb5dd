/**
 * The error log: one writer fed by one rule (async failures, `Provisioning Failed`, `Audit Finding`),
 * the operator's workflow routes, the digests (scheduled and on demand) and GitLab's webhook.
 */
import { AUDIT_FINDING, LAMBDA_FAILURE_DETAIL_TYPE, PROVISIONING_FAILED } from '../platform/failure-events.js';
import { jobRunPath } from '../jobs/index.js';
import { SERVICE_SOURCE } from '../platform/manifest-types.js';
import type { EventPattern, FunctionSpec } from '../platform/manifest-types.js';

/** The one path into the error log: every failure event on the bus, by one rule. */
export const failurePattern: EventPattern = {
  $or: [
    { source: ['lambda'], 'detail-type': [LAMBDA_FAILURE_DETAIL_TYPE] },
    { source: [SERVICE_SOURCE], 'detail-type': [PROVISIONING_FAILED, AUDIT_FINDING] },
  ],
};

const digestConfig = ['gitlabUrl', 'gitlabProjectId', 'gitlabToken', 'adminBaseUrl', 'slackWebhookUrl'] as const;

/** A digest's function: its job (shared/error-log/digest-job.ts) run on its schedule and by operators. */
function digestFunction(period: 'daily' | 'weekly', description: string, cron: string): FunctionSpec {
  const name = `${period}-digest`;
  return {
    name,
    description,
    entry: `functions/${name}/handler.ts`,
    triggers: [
      { kind: 'schedule', cron },
      { kind: 'http', method: 'POST', path: jobRunPath(name), auth: 'operator' },
    ],
    tables: { errors: 'readWrite' },
    // A 5xx on the operator's route is a Provisioning Failed event.
    publishesEvents: true,
    config: digestConfig,
    timeoutSeconds: 120,
  };
}

export const errorLogFunctions: readonly FunctionSpec[] = [
  {
    name: 'error-log-writer',
    description: 'Writes every failure (async failures, Provisioning Failed, Audit Finding) to the error log; announces new ones on Slack.',
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
      { kind: 'http', method: 'GET', path: '/v1/errors', auth: 'operator' },
      { kind: 'http', method: 'GET', path: '/v1/errors/{id}', auth: 'operator' },
      { kind: 'http', method: 'PATCH', path: '/v1/errors/{id}', auth: 'operator' },
    ],
    tables: { errors: 'readWrite' },
  },
  {
    name: 'jobs',
    description: 'POST /v1/jobs/{job}/runs for a job that does not exist: 404 naming the jobs there are (each job has its own route on its own function).',
    entry: 'functions/jobs/handler.ts',
    triggers: [{ kind: 'http', method: 'POST', path: '/v1/jobs/{job}/runs', auth: 'operator' }],
    tables: {},
    // A 5xx is a Provisioning Failed event.
    publishesEvents: true,
  },
  digestFunction('daily', "Every day at 06:00 UTC: one GitLab issue with yesterday's new and still-open errors.", 'cron(0 6 * * ? *)'),
  digestFunction('weekly', "Every Monday at 06:00 UTC: one GitLab issue with last week's new and still-open errors.", 'cron(0 6 ? * MON *)'),
  {
    name: 'gitlab-webhook',
    description: "GitLab's issue webhook: a closed digest issue resolves the errors linked to it.",
    entry: 'functions/gitlab-webhook/handler.ts',
    triggers: [{ kind: 'http', method: 'POST', path: '/v1/webhooks/gitlab', auth: 'webhook' }],
    tables: { errors: 'readWrite' },
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
