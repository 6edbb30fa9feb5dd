/** The error-log record as stored and as the API shows it. */
import * as z from '../../platform/zod.js';
import { freeText } from '../../platform/schemas.js';
import { errorStatuses } from './status.js';
import type { ErrorStatus } from './status.js';
import { FLOWS, OCCURRENCE_SOURCES, SUBJECT_KINDS } from './sources.js';
import type { Occurrence } from './sources.js';
import { MAX_LINK_BYTES, utf8Bytes } from './bounds.js';

export interface ChangeEntry {
  at: string;
  /** The operator's id (JWT `sub`), `job:<name>`, `gitlab-webhook` or `error-log-writer`. */
  actor: string;
  field: 'status' | 'notes' | 'gitlabIssueLink';
  from: string | null;
  to: string | null;
  reason?: string;
}

/** Where the "new error" Slack message stands. */
export type NotificationState = 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';

/** A record: what its occurrences share (the latest one's message, backtrace and payload), and its workflow. */
export interface ErrorRecord extends Pick<Occurrence, 'fingerprint' | 'code' | 'subject' | 'message' | 'errorType' | 'source' | 'backtrace' | 'payload' | 'system' | 'integration' | 'flow' | 'subjectKind'> {
  id: string;
  status: ErrorStatus;
  gitlabIssueLink: string | null;
  notes: string | null;
  occurrences: number;
  firstSeenAt: string;
  lastSeenAt: string;
  createdAt: string;
  updatedAt: string;
  notification: NotificationState;
  /** The Slack message could not be sent; the next digest run retries it. */
  notificationFailed: boolean;
  /** The last MAX_CHANGES change-log entries, oldest first. */
  changes: ChangeEntry[];
  /** How many older change-log entries were let go to keep the record bounded. */
  changesOmitted: number;
  /** When the record was resolved, while it is. */
  resolvedAt: string | null;
  /** Bumped by every workflow change (status, notes, link), not by occurrences: the optimistic lock. */
  revision: number;
}

/** The body of `PATCH /v1/errors/{id}`. */
export const errorPatchBody = z
  .strictObject({
    status: z.optional(z.enum(errorStatuses)),
    notes: z.optional(z.nullable(freeText({ max: 10_000, minVisible: 10, describe: 'Free text (10+ visible characters; newlines kept); null clears it' }))),
    gitlabIssueLink: z
      .optional(
        z.nullable(
          z.url({ protocol: /^https?$/ }).check(z.refine((link) => utf8Bytes(link) <= MAX_LINK_BYTES, `at most ${MAX_LINK_BYTES} bytes (UTF-8)`)),
        ),
      )
      .check(z.describe(`The GitLab issue tracking this error (at most ${MAX_LINK_BYTES} bytes of UTF-8); null unlinks it`)),
  })
  .check(
    z.refine((b) => b.status !== undefined || b.notes !== undefined || b.gitlabIssueLink !== undefined, {
      message: 'Send at least one of status, notes, gitlabIssueLink',
    }),
  );

export type ErrorPatch = z.infer<typeof errorPatchBody>;

/** The record as the API answers it (internal bookkeeping left out). */
export function publicRecord(record: ErrorRecord) {
  const { revision: _revision, notification: _notification, ...rest } = record;
  return rest;
}

export const changeEntrySchema = z.object({
  at: z.string(),
  actor: z.string(),
  field: z.enum(['status', 'notes', 'gitlabIssueLink']),
  from: z.nullable(z.string()),
  to: z.nullable(z.string()),
  reason: z.optional(z.string()),
});

/** The response schema (OpenAPI). */
export const errorRecordSchema = z.object({
  id: z.string(),
  fingerprint: z.string(),
  code: z.string(),
  subject: z.string(),
  message: z.string(),
  errorType: z.string(),
  source: z.enum(OCCURRENCE_SOURCES),
  system: z.string(),
  integration: z.nullable(z.string()),
  flow: z.enum(FLOWS),
  subjectKind: z.nullable(z.enum(SUBJECT_KINDS)),
  status: z.enum(errorStatuses),
  gitlabIssueLink: z.nullable(z.string()),
  backtrace: z.array(z.string()),
  payload: z.unknown(),
  notes: z.nullable(z.string()),
  occurrences: z.int(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  notificationFailed: z.boolean(),
  changes: z.array(changeEntrySchema),
  changesOmitted: z.int(),
  resolvedAt: z.nullable(z.string()),
});

/** One occurrence of a record (GET /v1/errors/{id}: `recentOccurrences`, newest first). */
export const occurrenceEvidenceSchema = z.object({
  occurrenceId: z.string(),
  occurredAt: z.string(),
  receivedAt: z.string(),
  message: z.string(),
  payload: z.unknown(),
});
