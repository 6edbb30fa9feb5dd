/**
 * The three ways a failure reaches the error log, and how each becomes an occurrence of a record:
 * - a Lambda onFailure destination record (source `lambda`): an asynchronously invoked function
 *   (event rule, schedule) failed after Lambda's retries;
 * - `Provisioning Failed` (source `provisioning-service`): a sync handler's server-side failure;
 * - `Audit Finding` (source `provisioning-service`): something that should have happened did not.
 * Pure: parsing, fingerprinting and redaction only.
 */
import { createHash } from 'node:crypto';
import * as z from '../../platform/zod.js';
import { AUDIT_FINDING, LAMBDA_FAILURE_DETAIL_TYPE, PROVISIONING_FAILED, auditFinding, provisioningFailed } from '../../platform/failure-events.js';
import { SERVICE_SOURCE } from '../../platform/manifest-types.js';
import { redactText, storablePayload } from '../../platform/redact.js';

/** The EventBridge envelope the writer receives. */
export const failureEnvelope = z.object({
  id: z.string().check(z.minLength(1), z.maxLength(200)),
  source: z.string(),
  'detail-type': z.string(),
  time: z.string(),
  detail: z.record(z.string(), z.unknown()),
});

/** What Lambda sends to an onFailure destination (here: the bus), as AWS documents it. */
export const lambdaFailureRecord = z.object({
  version: z.string(),
  timestamp: z.iso.datetime({ offset: true }),
  requestContext: z.object({
    requestId: z.string(),
    functionArn: z.string().check(z.regex(/^arn:[^:]+:lambda:[^:]*:[^:]*:function:[^:]+/, 'a Lambda function ARN')),
    condition: z.string(),
    approximateInvokeCount: z.int().check(z.nonnegative()),
  }),
  requestPayload: z.unknown(),
  responseContext: z.optional(z.object({ statusCode: z.int(), executedVersion: z.optional(z.string()), functionError: z.optional(z.string()) })),
  responsePayload: z.nullish(
    z.looseObject({ errorType: z.optional(z.string()), errorMessage: z.optional(z.string()), trace: z.optional(z.array(z.string())) }),
  ),
});

export type LambdaFailureRecord = z.infer<typeof lambdaFailureRecord>;

/** Where a failure came from: an async invocation's failure record, a 5xx, the audit. */
export const OCCURRENCE_SOURCES = ['async', 'http', 'audit'] as const;

export type OccurrenceSource = (typeof OCCURRENCE_SOURCES)[number];

/** The system this service reports its own failures as. */
export const OWN_SYSTEM = 'provisioning-service';

/** The commerce flows a failure can interrupt (the places the error log watches). */
export const FLOWS = ['purchase', 'update', 'upgrade', 'renewal', 'auto_renewal', 'reconciliation', 'catalog_sync', 'salesforce_sync', 'provisioning', 'other'] as const;
export type Flow = (typeof FLOWS)[number];

/** What a failure's subject names: which system of record holds it. */
export const SUBJECT_KINDS = ['subscription', 'customer', 'namespace', 'zuora_account', 'salesforce_object', 'order'] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

/** Where a failure happened: the reporting system, the third party involved (if any), the flow. */
export interface FailureOrigin {
  /** The reporting system (`customers-portal`, …); this service's own failures: `provisioning-service`. */
  system: string;
  /** The third party involved (`zuora`, `salesforce`, …), or null. */
  integration: string | null;
  flow: Flow;
  /** What `subject` names, when the reporter said so. */
  subjectKind: SubjectKind | null;
}

/** One failure, ready to be stored: the fingerprint decides which record it counts on. */
export interface Occurrence extends FailureOrigin {
  /** Idempotency key: the EventBridge event id. A redelivered event counts once. */
  occurrenceId: string;
  fingerprint: string;
  code: string;
  subject: string;
  message: string;
  errorType: string;
  source: OccurrenceSource;
  backtrace: string[];
  payload: unknown;
  occurredAt: string;
}

const ownOrigin = (flow: Flow): FailureOrigin => ({ system: OWN_SYSTEM, integration: null, flow, subjectKind: null });

export class InvalidFailureEventError extends Error {
  override readonly name = 'InvalidFailureEventError';
}

/** `code` and `subject` decide the record: the same failure of the same thing is one record. */
export function fingerprintOf(code: string, subject: string): string {
  return createHash('sha256').update(`${code}\n${subject}`).digest('hex');
}

/** The record id of a fingerprint: deterministic, so concurrent writers meet on one item. */
export const errorIdOf = (fingerprint: string): string => `err_${fingerprint.slice(0, 24)}`;

const MAX_TRACE_LINES = 30;
const cleanTrace = (lines: readonly string[] | undefined): string[] => (lines ?? []).slice(0, MAX_TRACE_LINES).map((l) => redactText(l.trim()).slice(0, 1000));

/** `arn:aws:lambda:eu-west-1:1234:function:ProvisioningService-jobs:$LATEST` → `ProvisioningService-jobs`. */
export const functionNameOf = (arn: string): string => arn.split(':')[6] ?? arn;

/** What a failed async invocation was handling: the event's detail-type, when it was an EventBridge event. */
function triggerOf(payload: unknown): string {
  if (payload && typeof payload === 'object' && 'detail-type' in payload) return String((payload as Record<string, unknown>)['detail-type']);
  return 'direct invocation';
}

const TIMEOUT = /task timed out|timed out after/i;

function fromLambdaFailure(id: string, detail: unknown): Occurrence {
  const parsed = lambdaFailureRecord.safeParse(detail);
  if (!parsed.success) throw new InvalidFailureEventError(`Invalid Lambda failure record: ${z.prettifyError(parsed.error)}`);
  const record = parsed.data;
  const fn = functionNameOf(record.requestContext.functionArn);
  const errorType = record.responsePayload?.errorType ?? (record.requestContext.condition === 'EventAgeExceeded' ? 'EventAgeExceeded' : 'Unknown');
  const errorMessage = record.responsePayload?.errorMessage ?? `Invocation failed: ${record.requestContext.condition}`;
  const code =
    record.requestContext.condition === 'EventAgeExceeded'
      ? 'async_event_expired'
      : errorType === 'Sandbox.Timedout' || TIMEOUT.test(errorMessage)
        ? 'async_handler_timed_out'
        : 'async_handler_failed';
  const trigger = triggerOf(record.requestPayload);
  const subject = `${fn} ← ${trigger}: ${errorType}`;
  return {
    occurrenceId: id,
    fingerprint: fingerprintOf(code, subject),
    code,
    subject,
    message: redactText(errorMessage).slice(0, 2000),
    errorType,
    source: 'async',
    ...ownOrigin('provisioning'),
    backtrace: cleanTrace(record.responsePayload?.trace),
    payload: storablePayload({
      function: fn,
      requestId: record.requestContext.requestId,
      condition: record.requestContext.condition,
      approximateInvokeCount: record.requestContext.approximateInvokeCount,
      event: record.requestPayload,
    }),
    occurredAt: record.timestamp,
  };
}

function fromProvisioningFailed(id: string, detail: unknown): Occurrence {
  const parsed = provisioningFailed.safeParse(detail);
  if (!parsed.success) throw new InvalidFailureEventError(`Invalid ${PROVISIONING_FAILED} detail: ${z.prettifyError(parsed.error)}`);
  const d = parsed.data;
  const subject = `${d.subject}: ${d.errorType}`;
  return {
    occurrenceId: id,
    fingerprint: fingerprintOf(d.code, subject),
    code: d.code,
    subject,
    message: redactText(d.message),
    errorType: d.errorType,
    source: 'http',
    ...ownOrigin('provisioning'),
    backtrace: cleanTrace(d.backtrace),
    payload: storablePayload({ routeKey: d.routeKey, requestId: d.requestId, function: d.functionName, ...(d.payload ?? {}) }),
    occurredAt: new Date(d.occurredAt).toISOString(),
  };
}

function fromAuditFinding(id: string, detail: unknown, time: string): Occurrence {
  const parsed = auditFinding.safeParse(detail);
  if (!parsed.success) throw new InvalidFailureEventError(`Invalid ${AUDIT_FINDING} detail: ${z.prettifyError(parsed.error)}`);
  const d = parsed.data;
  return {
    occurrenceId: id,
    fingerprint: fingerprintOf(d.code, d.subject),
    code: d.code,
    subject: d.subject,
    message: redactText(d.message),
    errorType: 'AuditFinding',
    source: 'audit',
    ...ownOrigin('reconciliation'),
    backtrace: [],
    payload: storablePayload({ asOf: d.asOf, ...d.payload }),
    occurredAt: Number.isNaN(Date.parse(time)) ? new Date().toISOString() : new Date(time).toISOString(),
  };
}

/**
 * The occurrence an event on the bus stands for.
 * @throws InvalidFailureEventError when the event is none of the three kinds or its detail is invalid.
 */
export function toOccurrence(event: unknown): Occurrence {
  const envelope = failureEnvelope.safeParse(event);
  if (!envelope.success) throw new InvalidFailureEventError(`Not an EventBridge event: ${z.prettifyError(envelope.error)}`);
  const { id, source, detail, time } = envelope.data;
  const detailType = envelope.data['detail-type'];
  if (source === 'lambda' && detailType === LAMBDA_FAILURE_DETAIL_TYPE) return fromLambdaFailure(id, detail);
  if (source === SERVICE_SOURCE && detailType === PROVISIONING_FAILED) return fromProvisioningFailed(id, detail);
  if (source === SERVICE_SOURCE && detailType === AUDIT_FINDING) return fromAuditFinding(id, detail, time);
  throw new InvalidFailureEventError(`The error log does not take "${detailType}" from ${source}: check the error-log-writer rule`);
}
