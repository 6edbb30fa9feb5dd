/**
 * Events the service publishes. Their zod schemas are the contract (exported as JSON Schema in docs/).
 */
import * as z from 'zod';

const state = z.record(z.string(), z.unknown());

export const namespaceSubscriptionChanged = z.object({
  namespaceId: z.number().int().positive(),
  version: z.number().int().positive(),
  eventId: z.string(),
  type: z.string(),
  actor: z.string(),
  subscriptionId: z.string().nullable(),
  before: state.nullable(),
  after: state,
  occurredAt: z.string(),
  appliedAt: z.string(),
});

export type NamespaceSubscriptionChanged = z.infer<typeof namespaceSubscriptionChanged>;

/** Detail-types of the failures the error log consumes (source `provisioning-service`). */
export const PROVISIONING_FAILED = 'Provisioning Failed';
export const AUDIT_FINDING = 'Audit Finding';
/** What Lambda puts on the bus (source `lambda`) for a failed asynchronous invocation (onFailure destination). */
export const LAMBDA_FAILURE_DETAIL_TYPE = 'Lambda Function Invocation Result - Failure';

/** An error code: lower snake case, e.g. `internal_error`, `renewal_not_processed`. */
const errorCode = z.string().regex(/^[a-z][a-z0-9_]{0,99}$/, 'a lower_snake_case error code');

/**
 * `Provisioning Failed`: a sync handler's server-side failure (a 5xx; never a 4xx), published by
 * httpHandler. The payload holds ids and the request's shape, never tokens or personal data.
 */
export const provisioningFailed = z.object({
  code: errorCode,
  message: z.string().max(2000),
  errorType: z.string().min(1).max(200),
  /** What failed, for the fingerprint: the route key. */
  subject: z.string().min(1).max(500),
  routeKey: z.string().max(300),
  requestId: z.string().max(200),
  functionName: z.string().max(200).optional(),
  backtrace: z.array(z.string().max(1000)).max(50).default([]),
  payload: z.record(z.string(), z.unknown()).optional(),
  occurredAt: z.iso.datetime({ offset: true }),
});

export type ProvisioningFailed = z.infer<typeof provisioningFailed>;

/**
 * `Audit Finding`: something that should have happened and did not (the reconciliation audit).
 * `code` + `subject` is the fingerprint: the same finding on the next run updates the same record.
 */
export const auditFinding = z.object({
  code: errorCode.describe('e.g. renewal_not_processed, broken_association'),
  subject: z.string().min(1).max(500).describe('What the finding is about, e.g. "subscription:A-S0001"'),
  message: z.string().min(1).max(2000),
  payload: z.record(z.string(), z.unknown()).default({}),
  asOf: z.iso.date().describe('The audit date (YYYY-MM-DD)'),
});

export type AuditFinding = z.infer<typeof auditFinding>;
