/**
 * The failure events: how a failure anywhere reaches the error log, by one rule (shared/error-log/).
 * Platform code publishes `Provisioning Failed` for every 5xx; the audit publishes `Audit Finding`;
 * Lambda publishes its onFailure records. Their zod schemas are the contract (JSON Schema in docs/events/).
 */
import * as z from './zod.js';

/** Detail-types of the failures the error log consumes (source `provisioning-service`). */
export const PROVISIONING_FAILED = 'Provisioning Failed';
export const AUDIT_FINDING = 'Audit Finding';
/** What Lambda puts on the bus (source `lambda`) for a failed asynchronous invocation (onFailure destination). */
export const LAMBDA_FAILURE_DETAIL_TYPE = 'Lambda Function Invocation Result - Failure';

/** An error code: lower snake case, e.g. `internal_error`, `renewal_not_processed`. */
const errorCode = z.string().check(z.regex(/^[a-z][a-z0-9_]{0,99}$/, 'a lower_snake_case error code'));

/**
 * `Provisioning Failed`: a sync handler's server-side failure (a 5xx; never a 4xx), published by
 * httpHandler. The payload holds ids and the request's shape, never tokens or personal data.
 */
export const provisioningFailed = z.object({
  code: errorCode,
  message: z.string().check(z.maxLength(2000)),
  errorType: z.string().check(z.minLength(1), z.maxLength(200)),
  /** What failed, for the fingerprint: the route key. */
  subject: z.string().check(z.minLength(1), z.maxLength(500)),
  routeKey: z.string().check(z.maxLength(300)),
  requestId: z.string().check(z.maxLength(200)),
  functionName: z.optional(z.string().check(z.maxLength(200))),
  backtrace: z._default(z.array(z.string().check(z.maxLength(1000))).check(z.maxLength(50)), []),
  payload: z.optional(z.record(z.string(), z.unknown())),
  occurredAt: z.iso.datetime({ offset: true }),
});

export type ProvisioningFailed = z.infer<typeof provisioningFailed>;

/**
 * `Audit Finding`: something that should have happened and did not (the reconciliation audit).
 * `code` + `subject` is the fingerprint: the same finding on the next run updates the same record.
 */
export const auditFinding = z.object({
  code: errorCode.check(z.describe('e.g. renewal_not_processed, broken_association')),
  subject: z.string().check(z.minLength(1), z.maxLength(500), z.describe('What the finding is about, e.g. "subscription:A-S0001"')),
  message: z.string().check(z.minLength(1), z.maxLength(2000)),
  payload: z._default(z.record(z.string(), z.unknown()), {}),
  asOf: z.iso.date().check(z.describe('The audit date (YYYY-MM-DD)')),
});

export type AuditFinding = z.infer<typeof auditFinding>;
