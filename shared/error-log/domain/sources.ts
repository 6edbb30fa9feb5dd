/**
 * The four ways a failure reaches the error log, and how each becomes an occurrence of a record:
 * - a Lambda onFailure destination record (source `lambda`): an asynchronously invoked function
 *   (event rule, schedule) failed after Lambda's retries;
 * - `Provisioning Failed` (source `provisioning-service`): a sync handler's server-side failure;
 * - `Audit Finding` (source `provisioning-service`): something that should have happened did not;
 * - `Revenue Error Reported` (source `customers-portal`, or `provisioning-service` when POST /v1/errors
 *   relays it): a failure another system reports (domain/report.ts).
 * Pure: parsing, fingerprinting and redaction only.
 */
import * as z from '../../platform/zod.js';
import { AUDIT_FINDING, LAMBDA_FAILURE_DETAIL_TYPE, PROVISIONING_FAILED, auditFinding, provisioningFailed } from '../../platform/failure-events.js';
import { COMMERCE_SOURCE, SERVICE_SOURCE } from '../../platform/manifest-types.js';
import { redactText } from '../../platform/redact.js';
import { OWN_SYSTEM, fingerprintOf } from './origin.js';
import type { FailureOrigin, Flow } from './origin.js';
import { MAX_ERROR_TYPE_BYTES, MAX_MESSAGE_BYTES, MAX_SUBJECT_BYTES, boundTrace, boundedPayload, cutToBytes } from './bounds.js';
import { REVENUE_ERROR_REPORTED, reportFingerprintKey, reportOccurrenceId, reportSubject, revenueErrorReport } from './report.js';

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

/** Where a failure came from: an async invocation's failure record, a 5xx, the audit, another system's report. */
export const OCCURRENCE_SOURCES = ['async', 'http', 'audit', 'report'] as const;

export type OccurrenceSource = (typeof OCCURRENCE_SOURCES)[number];

export { OWN_SYSTEM, errorIdOf, fingerprintOf } from './origin.js';

export { FLOWS, SUBJECT_KINDS } from './origin.js';
export type { FailureOrigin, Flow, SubjectKind } from './origin.js';

/** One failure, ready to be stored: the fingerprint decides which record it counts on. */
export interface Occurrence extends FailureOrigin {
  /**
   * Idempotency key, the same however often and by whichever way the failure arrives (a
   * redelivery, an archive replay with a new envelope id): a Lambda failure's request id, a 5xx's
   * request id, a report's eventId; an audit finding's envelope id.
   */
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


const cleanTrace = (lines: readonly string[] | undefined): string[] => boundTrace((lines ?? []).slice(0, 50).map((l) => redactText(l.trim())));
const cleanMessage = (text: string): string => cutToBytes(redactText(text), MAX_MESSAGE_BYTES);
const cleanSubject = (text: string): string => cutToBytes(redactText(text), MAX_SUBJECT_BYTES);
const cleanErrorType = (text: string): string => cutToBytes(redactText(text), MAX_ERROR_TYPE_BYTES);

/** The ids an event or request names, in the order that says best what it is about. */
const SUBJECT_IDS = ['subscriptionId', 'namespaceId', 'customerId', 'zuoraAccountId', 'billingAccountId', 'orderId'] as const;

/**
 * What a failed event or request was about: the first id it names (`subscriptionId=A-S0001`), from
 * the first of `sources` that names one; '' when none does. Deterministic: the same event always
 * gives the same answer, so each subject's failure is its own record.
 */
export function aboutOf(...sources: unknown[]): string {
  for (const source of sources) {
    if (!source || typeof source !== 'object' || Array.isArray(source)) continue;
    for (const key of SUBJECT_IDS) {
      const value = (source as Record<string, unknown>)[key];
      if ((typeof value === 'string' && value !== '') || typeof value === 'number') return `${key}=${String(value).slice(0, 128)}`;
    }
  }
  return '';
}

const field = (value: unknown, key: string): unknown => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined);

/** `arn:aws:lambda:eu-west-1:1234:function:ProvisioningService-jobs:$LATEST` → `ProvisioningService-jobs`. */
export const functionNameOf = (arn: string): string => arn.split(':')[6] ?? arn;

/** What a failed async invocation was handling: the event's detail-type, when it was an EventBridge event. */
function triggerOf(payload: unknown): string {
  if (payload && typeof payload === 'object' && 'detail-type' in payload) return String((payload as Record<string, unknown>)['detail-type']);
  return 'direct invocation';
}

const TIMEOUT = /task timed out|timed out after/i;

function fromLambdaFailure(detail: unknown): Occurrence {
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
  // Each subject's failure is its own record: what the event was about joins the subject.
  const about = aboutOf(field(record.requestPayload, 'detail'), record.requestPayload);
  const subject = cleanSubject(`${fn} ← ${trigger}: ${errorType}${about ? ` · ${about}` : ''}`);
  return {
    // The invocation's request id: an archive replay of this failure record (new envelope id) is the same occurrence.
    occurrenceId: `lambda:${record.requestContext.requestId}`,
    fingerprint: fingerprintOf(code, subject),
    code,
    subject,
    message: cleanMessage(errorMessage),
    errorType: cleanErrorType(errorType),
    source: 'async',
    ...ownOrigin('provisioning'),
    backtrace: cleanTrace(record.responsePayload?.trace),
    payload: boundedPayload({
      function: fn,
      requestId: record.requestContext.requestId,
      condition: record.requestContext.condition,
      approximateInvokeCount: record.requestContext.approximateInvokeCount,
      event: record.requestPayload,
    }),
    occurredAt: new Date(record.timestamp).toISOString(),
  };
}

function fromProvisioningFailed(id: string, detail: unknown): Occurrence {
  const parsed = provisioningFailed.safeParse(detail);
  if (!parsed.success) throw new InvalidFailureEventError(`Invalid ${PROVISIONING_FAILED} detail: ${z.prettifyError(parsed.error)}`);
  const d = parsed.data;
  // What the request was about (its path parameters, else its body) joins the subject.
  const about = aboutOf(field(d.payload, 'pathParameters'), field(d.payload, 'body'), d.payload);
  const subject = cleanSubject(`${d.subject}: ${d.errorType}${about ? ` · ${about}` : ''}`);
  return {
    // The request id: a replay of this event (new envelope id) is the same occurrence.
    occurrenceId: `http:${d.requestId || id}`,
    fingerprint: fingerprintOf(d.code, subject),
    code: d.code,
    subject,
    message: cleanMessage(d.message),
    errorType: cleanErrorType(d.errorType),
    source: 'http',
    ...ownOrigin('provisioning'),
    backtrace: cleanTrace(d.backtrace),
    payload: boundedPayload({ routeKey: d.routeKey, requestId: d.requestId, function: d.functionName, ...(d.payload ?? {}) }),
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
    message: cleanMessage(d.message),
    errorType: 'AuditFinding',
    source: 'audit',
    ...ownOrigin('reconciliation'),
    backtrace: [],
    payload: boundedPayload({ asOf: d.asOf, ...d.payload }),
    occurredAt: Number.isNaN(Date.parse(time)) ? new Date().toISOString() : new Date(time).toISOString(),
  };
}

/**
 * A report of another system (`Revenue Error Reported`, from the customers portal or relayed by
 * POST /v1/errors). Its eventId is the idempotency key, so the same report by HTTP and on the bus,
 * or twice, counts once; the fingerprint is reportFingerprintKey's (POST /v1/errors answers its id).
 */
function fromReport(detail: unknown): Occurrence {
  const parsed = revenueErrorReport.safeParse(detail);
  if (!parsed.success) throw new InvalidFailureEventError(`Invalid ${REVENUE_ERROR_REPORTED} detail: ${z.prettifyError(parsed.error)}`);
  const r = parsed.data;
  return {
    occurrenceId: reportOccurrenceId(r),
    fingerprint: reportFingerprint(r),
    code: r.code,
    subject: cleanSubject(reportSubject(r)),
    message: cleanMessage(r.message),
    errorType: cleanErrorType(r.errorType),
    source: 'report',
    system: r.system,
    integration: r.integration ?? null,
    flow: r.flow,
    subjectKind: r.subjectKind ?? null,
    backtrace: cleanTrace(r.backtrace),
    payload: r.payload === undefined ? null : boundedPayload(r.payload),
    occurredAt: new Date(r.occurredAt).toISOString(),
  };
}

/** The fingerprint of a report (see reportFingerprintKey): the record id is errorIdOf of it. */
export const reportFingerprint = (report: Parameters<typeof reportFingerprintKey>[0] & { code: string }): string =>
  fingerprintOf(report.code, reportFingerprintKey(report));

/**
 * The occurrence an event on the bus stands for.
 * @throws InvalidFailureEventError when the event is none of the four kinds or its detail is invalid.
 */
export function toOccurrence(event: unknown): Occurrence {
  const envelope = failureEnvelope.safeParse(event);
  if (!envelope.success) throw new InvalidFailureEventError(`Not an EventBridge event: ${z.prettifyError(envelope.error)}`);
  const { id, source, detail, time } = envelope.data;
  const detailType = envelope.data['detail-type'];
  if (source === 'lambda' && detailType === LAMBDA_FAILURE_DETAIL_TYPE) return fromLambdaFailure(detail);
  if ((source === COMMERCE_SOURCE || source === SERVICE_SOURCE) && detailType === REVENUE_ERROR_REPORTED) return fromReport(detail);
  if (source === SERVICE_SOURCE && detailType === PROVISIONING_FAILED) return fromProvisioningFailed(id, detail);
  if (source === SERVICE_SOURCE && detailType === AUDIT_FINDING) return fromAuditFinding(id, detail, time);
  throw new InvalidFailureEventError(`The error log does not take "${detailType}" from ${source}: check the error-log-writer rule`);
}
