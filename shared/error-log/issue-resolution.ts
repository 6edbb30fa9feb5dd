/**
 * A closed GitLab issue resolves the errors linked to it — thousands, for a digest issue — without
 * running past the function's timeout: the work goes in chunks of RESOLVE_CHUNK records (11
 * DynamoDB calls each, see workflow.ts resolveLinkedChunk), one chunk per invocation.
 *
 *   webhook delivery  --> chunk 1 --> more linked? --> `Issue Resolution Continued` {issue, after}
 *   that event        --> chunk n --> more linked? --> the event again, after the chunk's last id
 *
 * The same function (gitlab-webhook) serves both. Every step is idempotent: records are resolved
 * conditionally on their revision and link, so a redelivered webhook or a retried event resolves
 * nothing twice; the cursor only moves forward in the `byIssue` index, so the chain ends.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { publish } from '../platform/bus.js';
import type { OutgoingEvent } from '../platform/bus.js';
import { ProcessDefault } from '../platform/process-default.js';
import * as z from '../platform/zod.js';
import { IssueResolutionNotContinuedError } from './errors.js';
import { ErrorStore } from './store.js';
import { resolveLinkedChunk } from './workflow.js';
import { ISSUE_RESOLUTION_CONTINUED, issueResolutionContinued } from './domain/gitlab-webhook.js';
import type { IssueResolutionContinued } from './domain/gitlab-webhook.js';
import type { ChunkSummary } from './workflow.js';

export const RESOLUTION_ACTOR = 'gitlab-webhook';

export interface ResolutionDeps {
  store: ErrorStore;
  /** Puts events on the bus; answers the ids it did not accept (shared/platform/bus.ts). */
  publish: (events: readonly OutgoingEvent[]) => Promise<string[]>;
}

/** The store and the bus, created at first use; a test puts its own in place with `resolutionDeps.use(…)`. */
export const resolutionDeps = new ProcessDefault<ResolutionDeps>(() => ({ store: new ErrorStore(), publish: (events) => publish(events) }));

export interface ChunkOutcome extends ChunkSummary {
  issue: string;
  chunk: number;
}

/**
 * Resolves chunk `chunk` of the records linked to `issue` (after record `after`), and hands the
 * rest on with `Issue Resolution Continued` when more may be linked.
 *
 * @throws IssueResolutionNotContinuedError the bus did not take the continuation (retry the delivery)
 */
export async function resolveIssueChunk(
  issue: { url: string; iid: number },
  after: string | null,
  chunk: number,
  deps: ResolutionDeps,
  log: Pick<Logger, 'info'>,
): Promise<ChunkOutcome> {
  const summary = await resolveLinkedChunk(deps.store, issue.url, RESOLUTION_ACTOR, `GitLab issue #${issue.iid} was closed`, after);
  if (summary.next) {
    const detail: IssueResolutionContinued = { issue: issue.url, iid: issue.iid, after: summary.next, chunk: chunk + 1 };
    const failed = await deps.publish([{ detailType: ISSUE_RESOLUTION_CONTINUED, detail, id: 'continue' }]);
    if (failed.length > 0) throw new IssueResolutionNotContinuedError(issue.url);
  }
  log.info('errors resolved by a closed issue', {
    issueIid: issue.iid,
    chunk,
    resolved: summary.resolved.length,
    alreadyResolved: summary.alreadyResolved.length,
    skipped: summary.skipped.length,
    continues: summary.next !== null,
  });
  return { ...summary, issue: issue.url, chunk };
}

/** The invalid detail of a continuation event: a bug of the publisher, not worth a retry. */
export class InvalidContinuationError extends Error {
  override readonly name = 'InvalidContinuationError';
}

/** The event side: `Issue Resolution Continued` from the bus → the next chunk. */
export async function continueIssueResolution(event: unknown, deps: ResolutionDeps, log: Pick<Logger, 'info'>): Promise<ChunkOutcome> {
  const detail = issueResolutionContinued.safeParse((event as { detail?: unknown } | null)?.detail);
  if (!detail.success) throw new InvalidContinuationError(`Invalid ${ISSUE_RESOLUTION_CONTINUED} detail: ${z.prettifyError(detail.error)}`);
  return resolveIssueChunk({ url: detail.data.issue, iid: detail.data.iid }, detail.data.after, detail.data.chunk, deps, log);
}
