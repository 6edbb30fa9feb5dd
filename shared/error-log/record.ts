/** The error-log record as stored and as the API shows it. */
import * as z from 'zod';
import { errorStatuses } from './status.js';
import type { ErrorStatus } from './status.js';
import type { OccurrenceSource } from './sources.js';

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

export interface ErrorRecord {
  id: string;
  fingerprint: string;
  code: string;
  subject: string;
  message: string;
  errorType: string;
  source: OccurrenceSource;
  status: ErrorStatus;
  gitlabIssueLink: string | null;
  backtrace: string[];
  payload: unknown;
  notes: string | null;
  occurrences: number;
  firstSeenAt: string;
  lastSeenAt: string;
  createdAt: string;
  updatedAt: string;
  notification: NotificationState;
  /** The Slack message could not be sent; the next digest run retries it. */
  notificationFailed: boolean;
  changes: ChangeEntry[];
  /** Bumped by every workflow change (status, notes, link), not by occurrences: the optimistic lock. */
  revision: number;
}

const optionalText = (max: number) => z.string().trim().max(max);

/** The body of `PATCH /v1/errors/{id}`. */
export const errorPatchBody = z
  .strictObject({
    status: z.enum(errorStatuses).optional(),
    notes: optionalText(10_000).nullable().optional().describe('Free text; null clears it'),
    gitlabIssueLink: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .nullable()
      .optional()
      .describe('The GitLab issue tracking this error; null unlinks it'),
  })
  .refine((b) => b.status !== undefined || b.notes !== undefined || b.gitlabIssueLink !== undefined, {
    message: 'Send at least one of status, notes, gitlabIssueLink',
  });

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
  from: z.string().nullable(),
  to: z.string().nullable(),
  reason: z.string().optional(),
});

/** The response schema (OpenAPI). */
export const errorRecordSchema = z.object({
  id: z.string(),
  fingerprint: z.string(),
  code: z.string(),
  subject: z.string(),
  message: z.string(),
  errorType: z.string(),
  source: z.enum(['async', 'http', 'audit']),
  status: z.enum(errorStatuses),
  gitlabIssueLink: z.string().nullable(),
  backtrace: z.array(z.string()),
  payload: z.unknown(),
  notes: z.string().nullable(),
  occurrences: z.number().int(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  notificationFailed: z.boolean(),
  changes: z.array(changeEntrySchema),
});
