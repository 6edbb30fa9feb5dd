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
import type { Notifier } from './slack.js';
import { toOccurrence } from './domain/sources.js';
import { notifyRecord } from './announce.js';
import type { AnnounceDeps, NotifyResult } from './announce.js';

export { notifyRecord };
export type { NotifyResult };

export interface WriterDeps extends AnnounceDeps {
  /** The noise rules (saved and built-in from ERROR_LOG_NOISE_CODES), read per event; `count` counts a silenced event once. */
  noise: {
    rules(): Promise<NoiseRule[]>;
    count(ruleId: string, occurrenceId: string): Promise<'counted' | 'duplicate'>;
  };
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
