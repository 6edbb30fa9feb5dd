/**
 * The error log's counters, as CloudWatch metrics (Powertools Metrics, embedded metric format in
 * the function's log): noise dropped per code, records written by outcome, Slack notifications
 * that failed. Each is published at once (`singleMetric`), so no handler has to flush.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

let metrics: Metrics | undefined;

function count(name: string, dimensions: Record<string, string>): void {
  // Created on first use: POWERTOOLS_METRICS_DISABLED set by a test or the local runtime applies.
  metrics ??= new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Provisioning', serviceName: 'provisioning' });
  const single = metrics.singleMetric();
  for (const [key, value] of Object.entries(dimensions)) single.addDimension(key, value);
  single.addMetric(name, MetricUnit.Count, 1);
}

export const errorLogMetrics = {
  /** A failure with a noise code was dropped before storing. */
  noiseDropped: (code: string) => count('ErrorLogNoiseDropped', { code }),
  /** An occurrence was counted: created, repeated, reopened or duplicate. */
  recorded: (outcome: string) => count('ErrorLogOccurrences', { outcome }),
  /** The Slack message for a record could not be sent (it is retried by the next digest). */
  notificationFailed: () => count('ErrorLogNotificationFailed', {}),
};
