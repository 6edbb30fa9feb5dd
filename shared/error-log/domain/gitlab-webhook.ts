/**
 * GitLab's issue webhook: the shared-secret check and what a delivery means for the error log.
 * Pure (node:crypto only).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as z from '../../platform/zod.js';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Whether the presented `X-Gitlab-Token` is the configured secret, in constant time: both sides are
 * hashed first, so neither the length nor the first differing byte shows in the timing.
 */
export function webhookTokenMatches(presented: string | undefined, expected: string | undefined): boolean {
  if (!expected) return false;
  const ok = timingSafeEqual(digest(presented ?? ''), digest(expected));
  return ok && presented !== undefined;
}

/** The fields of GitLab's "Issue Hook" payload the service reads; everything else is ignored. */
export const issueHookPayload = z.looseObject({
  object_kind: z.string(),
  object_attributes: z.optional(
    z.looseObject({
      iid: z.int().check(z.positive()),
      url: z.url().check(z.maxLength(2048)),
      state: z.optional(z.string()),
      action: z.optional(z.string()),
    }),
  ),
});

export type WebhookMeaning = { kind: 'issue_closed'; url: string; iid: number } | { kind: 'ignored'; reason: string };

/** What a delivery asks of the error log: only a closed issue resolves anything. */
export function meaningOf(payload: z.infer<typeof issueHookPayload>): WebhookMeaning {
  if (payload.object_kind !== 'issue') return { kind: 'ignored', reason: `object_kind ${payload.object_kind} is not handled` };
  const issue = payload.object_attributes;
  if (!issue) return { kind: 'ignored', reason: 'no object_attributes' };
  const closed = issue.action === 'close' || (issue.action === undefined && issue.state === 'closed');
  if (!closed) return { kind: 'ignored', reason: `issue action ${issue.action ?? issue.state ?? 'unknown'} does not resolve errors` };
  return { kind: 'issue_closed', url: issue.url, iid: issue.iid };
}

/**
 * `Issue Resolution Continued` (source `provisioning-service`): the next chunk of a closed issue's
 * linked errors, published and consumed by gitlab-webhook (shared/error-log/issue-resolution.ts).
 */
export const ISSUE_RESOLUTION_CONTINUED = 'Issue Resolution Continued';

export const issueResolutionContinued = z.object({
  issue: z.url().check(z.maxLength(2048), z.describe('The closed GitLab issue (its web URL, as the records link it)')),
  iid: z.int().check(z.positive()),
  after: z.string().check(z.minLength(1), z.maxLength(100), z.describe('The id of the last record handled: the next chunk starts after it')),
  chunk: z.int().check(z.positive(), z.describe('The number of the chunk this event asks for (2, 3, …)')),
});
export type IssueResolutionContinued = z.infer<typeof issueResolutionContinued>;

