/**
 * The error log's counters (noise dropped per code, occurrences by outcome, errors logged by code,
 * async failures, Slack notifications that failed) now live with every other metric of the service
 * in shared/platform/metrics.ts; this module keeps the error log's imports short.
 */
export { errorLogMetrics } from '../platform/metrics.js';
