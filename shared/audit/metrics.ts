/**
 * The reconciliation audit's metrics, next to the service's others (shared/platform/metrics.ts: Powertools
 * Metrics in the embedded metric format, namespace `Provisioning`, plus this process's counters):
 * - `AuditFindings` (dimension `code`): findings that hold at a completed run, per code (0 included,
 *   so a graph shows zero rather than a gap);
 * - `AuditCompleted`: 1 per completed run. "No audit completed in 26 hours" is this metric's sum
 *   over 26 hours below 1, missing data counting as breaching;
 * - `AuditLagHours`: hours since the last completed run, when a run starts (about 24 on a healthy day).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AuditCode } from './domain.js';
import { METRIC, recordMetric } from '../platform/metrics.js';
import type { AuditMetricsPort } from './run.js';

export const auditMetrics: AuditMetricsPort = {
  findings: (code: AuditCode, count: number) => recordMetric(METRIC.auditFindings, { code }, count),
  completed: () => recordMetric(METRIC.auditCompleted),
  lagHours: (hours: number) => recordMetric(METRIC.auditLagHours, {}, hours, MetricUnit.Count),
};
