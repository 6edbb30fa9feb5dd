/**
 * A failure reported by another system (the customers portal, its Zuora and Salesforce
 * integrations, …): the body of `POST /v1/errors` and the detail of `Revenue Error Reported`, one
 * contract for both ways in. Pure.
 */
import * as z from '../../platform/zod.js';
import { utf8Bytes } from './bounds.js';
import { FLOWS, SUBJECT_KINDS } from './origin.js';

/** The detail-type of a reported failure on the bus (source `customers-portal`, or `provisioning-service` when relayed by POST /v1/errors). */
export const REVENUE_ERROR_REPORTED = 'Revenue Error Reported';

/** The largest payload a report may carry (its JSON, in UTF-8 bytes). */
export const MAX_REPORT_PAYLOAD_BYTES = 64 * 1024;

const slug = (what: string) =>
  z.string().check(z.regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, `${what}: a lowercase slug (a-z, 0-9, -), 1–64 characters, e.g. customers-portal`));

export const revenueErrorReport = z
  .strictObject({
    eventId: z
      .string()
      .check(z.minLength(1), z.maxLength(200), z.regex(/^[A-Za-z0-9._:@/+=-]+$/, 'letters, digits and . _ : @ / + = - only'), z.describe('Idempotency key: a report counts once per eventId, by HTTP or on the bus')),
    occurredAt: z.iso.datetime({ offset: true }).check(z.describe('When the failure happened (ISO 8601 with offset)')),
    system: slug('the reporting system').check(z.describe('The reporting system, e.g. customers-portal')),
    integration: z.optional(z.nullable(slug('the third party'))).check(z.describe('The third party involved, e.g. zuora or salesforce; absent or null for none')),
    flow: z.enum(FLOWS),
    code: z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _ . - only, 1–100 characters, e.g. VALIDATION_ERROR'), z.describe('e.g. VALIDATION_ERROR')),
    errorType: z.string().check(z.minLength(1), z.maxLength(200), z.describe('e.g. Subscription update failed')),
    message: z.string().check(z.minLength(1), z.maxLength(4000), z.describe('Redacted, then kept up to 4,000 UTF-8 bytes')),
    subject: z.optional(z.string().check(z.minLength(1), z.maxLength(300), z.describe('What the failure is about, e.g. a Zuora account number or a subscription id'))),
    subjectKind: z.optional(z.enum(SUBJECT_KINDS)),
    payload: z.optional(
      z.record(z.string(), z.unknown()).check(
        z.refine((p) => utf8Bytes(JSON.stringify(p)) <= MAX_REPORT_PAYLOAD_BYTES, `at most ${MAX_REPORT_PAYLOAD_BYTES} bytes of JSON`),
        z.describe('Redacted (credentials and personal data) before it is stored; stored up to 16 KB'),
      ),
    ),
    backtrace: z.optional(z.array(z.string().check(z.maxLength(1000))).check(z.maxLength(50))),
  })
  .check(
    z.refine((r) => r.subjectKind === undefined || r.subject !== undefined, { message: 'subjectKind needs a subject', path: ['subjectKind'] }),
  );

export type RevenueErrorReport = z.infer<typeof revenueErrorReport>;

/**
 * What a report's record is about: its subject, or its error type when it names none.
 */
export const reportSubject = (report: Pick<RevenueErrorReport, 'subject' | 'errorType'>): string => report.subject ?? report.errorType;

/**
 * The fingerprint key of a report: the same failure (code) of the same subject, reported by the same
 * system for the same integration and flow, is one record. Without a subject, the error type stands
 * in for it. Computed on the report as sent (before redaction), so POST /v1/errors can answer the
 * id the writer will count on.
 */
export const reportFingerprintKey = (report: Pick<RevenueErrorReport, 'system' | 'integration' | 'flow' | 'subject' | 'errorType'>): string =>
  ['report', report.system, report.integration ?? '', report.flow, reportSubject(report)].join('\n');

/** The writer's idempotency key of a report: its eventId, per reporting system. */
export const reportOccurrenceId = (report: Pick<RevenueErrorReport, 'system' | 'eventId'>): string => `report:${report.system}:${report.eventId}`;
