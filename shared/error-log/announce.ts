/**
 * "Told once": the Slack announcement of a new or reopened record, claimed so exactly one sender
 * (the writer, or a digest retrying a failed one) sends it. Apart from the writer so that the
 * digests, which retry announcements, carry none of the writer's parsing.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { redactText } from '../platform/redact.js';
import type { ErrorStore } from './store.js';
import type { errorLogMetrics } from './metrics.js';
import { errorMessage } from './slack.js';
import type { Notifier } from './slack.js';

/** What an announcement needs. */
export interface AnnounceDeps {
  store: ErrorStore;
  notifier: Notifier;
  adminBaseUrl: () => string | undefined;
  /** The runbook of a code (saved, else shipped), linked from the Slack message. */
  runbook?: (code: string) => Promise<{ code: string; title: string } | null>;
  metrics: Pick<typeof errorLogMetrics, 'notificationFailed'>;
}

export type NotifyResult = 'sent' | 'failed' | 'skipped' | 'not_claimed';

/**
 * Sends the Slack message of record `id` if it can claim it (in one of `states`): exactly one
 * sender per announcement. Never throws for Slack: a failure is logged, counted and flagged on the
 * record (`notificationFailed`).
 */
export async function notifyRecord(
  id: string,
  states: readonly ('pending' | 'failed')[],
  deps: AnnounceDeps,
  log: Logger,
): Promise<NotifyResult> {
  const claim = await deps.store.claimNotification(id, states);
  if (!claim) return 'not_claimed';
  const { record, claimedAt } = claim;
  const reopened = record.changes.some((c) => c.field === 'status' && c.to === 'open');
  // A runbook that cannot be read leaves its line out; it never holds back the announcement.
  const runbook = deps.runbook ? await deps.runbook(record.code).catch(() => null) : null;
  try {
    const outcome = await deps.notifier.send(errorMessage(record, { adminBaseUrl: deps.adminBaseUrl(), reopened, runbook }));
    if (outcome === 'not_configured') {
      await deps.store.finishNotification(id, claimedAt, 'skipped');
      log.info('Slack is not configured: new error not announced', { errorId: id });
      return 'skipped';
    }
    await deps.store.finishNotification(id, claimedAt, 'sent');
    log.info('new error announced on Slack', { errorId: id });
    return 'sent';
  } catch (error) {
    deps.metrics.notificationFailed();
    // The webhook URL is a credential: nothing shaped like one is logged or stored.
    const reason = redactText(error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 500);
    log.error('Slack notification failed; the next digest retries it', { errorId: id, reason });
    await deps.store.finishNotification(id, claimedAt, 'failed', reason);
    return 'failed';
  }
}
