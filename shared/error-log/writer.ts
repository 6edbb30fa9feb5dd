/**
 * The error-log writer: every failure event becomes an occurrence on its fingerprint's record, and a
 * new (or reopened) record is announced on Slack once. The record is written first; a Slack outage
 * only leaves the record flagged `notificationFailed` for the next digest to retry.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { readSetting } from '../platform/config.js';
import { logger } from '../platform/log.js';
import { ErrorStore } from './store.js';
import type { OccurrenceOutcome } from './store.js';
import { errorLogMetrics } from './metrics.js';
import { silencingRule } from './domain/noise-rules.js';
import type { NoiseRule } from './domain/noise-rules.js';
import { NoiseRuleSource, countSilenced } from './noise-rules.js';
import { runbookTitle } from './runbook-titles.js';
import { redactText } from '../platform/redact.js';
import { errorMessage } from './slack.js';
import type { Notifier } from './slack.js';
import { toOccurrence } from './domain/sources.js';

export interface WriterDeps {
  store: ErrorStore;
  notifier: Notifier;
  /** The noise rules (saved and built-in from ERROR_LOG_NOISE_CODES), read per event; `count` counts a silenced event once. */
  noise: {
    rules(): Promise<NoiseRule[]>;
    count(ruleId: string, occurrenceId: string): Promise<'counted' | 'duplicate'>;
  };
  adminBaseUrl: () => string | undefined;
  /** The runbook of a code (saved, else shipped), linked from the Slack message. */
  runbook?: (code: string) => Promise<{ code: string; title: string } | null>;
  log: Logger;
  metrics: typeof errorLogMetrics;
}

export const defaultWriterDeps = (notifier: Notifier, rules = new NoiseRuleSource()): WriterDeps => ({
  store: new ErrorStore(),
  notifier,
  noise: { rules: () => rules.rules(), count: (ruleId, occurrenceId) => countSilenced(ruleId, occurrenceId) },
  adminBaseUrl: () => readSetting('adminBaseUrl'),
  runbook: (code) => runbookTitle(code),
  log: logger,
  metrics: errorLogMetrics,
});

export type WriteResult = { outcome: 'dropped'; code: string; ruleId: string } | { outcome: OccurrenceOutcome; id: string; notification?: NotifyResult };

/**
 * Handles one failure event from the bus.
 * @throws InvalidFailureEventError for an event that is not a failure (the event goes to the DLQ).
 */
export async function recordFailure(event: unknown, deps: WriterDeps): Promise<WriteResult> {
  const occurrence = toOccurrence(event);
  const log = deps.log.createChild({ persistentKeys: { occurrenceId: occurrence.occurrenceId, code: occurrence.code } });
  // Noise is neither stored nor announced: it is counted on the rule that silenced it (once per event).
  const rule = silencingRule(await deps.noise.rules(), occurrence, new Date().toISOString());
  if (rule) {
    const counted = await deps.noise.count(rule.id, occurrence.occurrenceId);
    if (counted === 'counted') deps.metrics.noiseDropped(occurrence.code);
    log.info('failure dropped as noise', { source: occurrence.source, ruleId: rule.id, counted });
    return { outcome: 'dropped', code: occurrence.code, ruleId: rule.id };
  }
  const { outcome, id } = await deps.store.recordOccurrence(occurrence);
  // A stale occurrence (older than its record's resolution: a replay) is not an error logged again.
  deps.metrics.recorded(outcome, outcome === 'stale' ? undefined : occurrence);
  log.info(outcome === 'stale' ? 'failure older than its resolved record: not counted' : 'failure recorded', { errorId: id, outcome, source: occurrence.source });
  // A new or reopened record is announced; a redelivered event finishes an announcement that a
  // crashed delivery left pending. Repeats of a known failure are not announced again.
  if (outcome === 'created' || outcome === 'reopened' || outcome === 'duplicate') {
    const notification = await notifyRecord(id, ['pending'], deps, log);
    return { outcome, id, notification };
  }
  return { outcome, id };
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
  deps: Pick<WriterDeps, 'store' | 'notifier' | 'adminBaseUrl' | 'metrics' | 'runbook'>,
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
