/**
 * The service's metrics, in one module. Each count goes two ways:
 * - to CloudWatch, as Powertools Metrics in the embedded metric format (one JSON line in the
 *   function's log, published at once with `singleMetric`, so no handler has to flush), namespace
 *   `Provisioning`, with Powertools' `service` dimension (`provisioning`) on every metric;
 * - to counters of this process, which `GET /v1/operator/metrics` answers. Locally every handler
 *   runs in one process, so the admin page shows the service's counters since `npm start`; in AWS a
 *   container counts only what it handled itself, and CloudWatch is the source (infra/observability.ts).
 *
 * The counters ({@link processMetrics}) and the emitter ({@link metricEmitter}) are objects with one
 * default instance per process, behind `recordMetric` and `metricsSnapshot`: a test or a runtime
 * resets them or puts its own in place. The Powertools instance is created at the first value, not
 * at import, so POWERTOOLS_METRICS_DISABLED set after import (tests, the local runtime) applies.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ProcessDefault } from './process-default.js';

export const METRICS_NAMESPACE = 'Provisioning';
/** Powertools adds `service` to every metric it emits: dashboards and alarms address metrics with it. */
export const SERVICE_NAME = 'provisioning';

/**
 * Every metric name the service emits, with the dimension each is split by. The dashboard and the
 * alarms (infra/observability.ts) are built from this list.
 */
export const METRIC = {
  /** A lifecycle command or a billing-account change was applied (written). Dimension `type`. */
  eventsApplied: 'EventsApplied',
  /** A command was refused as stale (out of order, superseded). Dimension `type`. */
  staleEvents: 'StaleEvents',
  /** The same eventId again: the stored result was answered, nothing written. Dimension `type`. */
  idempotentReplays: 'IdempotentReplays',
  /** A dry run: the result was computed, nothing written. Dimension `type`. */
  dryRuns: 'DryRuns',
  /** A force reassociation was applied. Dimension `reason`. */
  reassociations: 'Reassociations',
  /** An occurrence was counted on an error record (not a redelivery). Dimension `code`. */
  errorsLogged: 'ErrorsLogged',
  /** A failed asynchronous invocation (a Lambda onFailure destination) reached the error log. */
  asyncFailuresLogged: 'AsyncFailuresLogged',
  /** An occurrence was counted, by outcome (created, repeated, reopened, duplicate). Dimension `outcome`. */
  errorLogOccurrences: 'ErrorLogOccurrences',
  /** A failure with a noise code was dropped before storing. Dimension `code`. */
  errorLogNoiseDropped: 'ErrorLogNoiseDropped',
  /** A Slack message about a new error could not be sent (the next digest retries it). */
  notificationFailed: 'ErrorLogNotificationFailed',
  /** Emitted by the reconciliation audit (shared/audit/metrics.ts): one per finding. Dimension `code`. */
  auditFindings: 'AuditFindings',
  /** Emitted by the reconciliation audit: 1 per completed run. */
  auditCompleted: 'AuditCompleted',
  /** Emitted by the reconciliation audit: how far behind the audit is, in hours. */
  auditLagHours: 'AuditLagHours',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];
type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** One counter of this process: a metric name and its dimensions (besides `service`). */
export interface ProcessCounter {
  name: string;
  dimensions: Record<string, string>;
  unit: string;
  /** How many values were recorded. */
  samples: number;
  sum: number;
  max: number;
  last: number;
  firstAt: string;
  lastAt: string;
}

export interface MetricsSnapshot {
  /** When this process started counting (its first import of this module, or the last reset). */
  since: string;
  /** `process`: these are the answering process's own counters, not the whole service's in AWS. */
  scope: 'process';
  namespace: string;
  counters: ProcessCounter[];
}

const keyOf = (name: string, dimensions: Record<string, string>) =>
  JSON.stringify([name, ...Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b))]);

/** Where a value goes besides this process's counters: one EMF line (Powertools' `singleMetric`). */
export type MetricEmitter = (name: string, dimensions: Record<string, string>, value: number, unit: Unit) => void;

/** Powertools' emitter, with the environment as it is when created (at the first value). */
function powertoolsEmitter(): MetricEmitter {
  const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  return (name, dimensions, value, unit) => {
    const single = metrics.singleMetric();
    for (const [dimension, dimensionValue] of Object.entries(dimensions)) single.addDimension(dimension, dimensionValue);
    single.addMetric(name, unit, value);
  };
}

/**
 * A process's counters: what `GET /v1/operator/metrics` answers. One per process by default
 * ({@link processMetrics}).
 *
 * @example
 * const metrics = new ProcessMetrics();
 * metrics.record(METRIC.eventsApplied, { type: 'renewed' });
 * metrics.snapshot().counters; // [{ name: 'EventsApplied', dimensions: { type: 'renewed' }, sum: 1, … }]
 */
export class ProcessMetrics {
  private readonly counters = new Map<string, ProcessCounter>();
  private readonly now: () => Date;
  private since: string;

  constructor(options: { now?: () => Date } = {}) {
    this.now = options.now ?? (() => new Date());
    this.since = this.now().toISOString();
  }

  /** Counts one value of a metric. */
  record(name: string, dimensions: Record<string, string> = {}, value = 1, unit: Unit = MetricUnit.Count): void {
    const at = this.now().toISOString();
    const key = keyOf(name, dimensions);
    const counter = this.counters.get(key);
    if (counter) {
      counter.samples += 1;
      counter.sum += value;
      counter.max = Math.max(counter.max, value);
      counter.last = value;
      counter.lastAt = at;
    } else {
      this.counters.set(key, { name, dimensions: { ...dimensions }, unit, samples: 1, sum: value, max: value, last: value, firstAt: at, lastAt: at });
    }
  }

  /** The counters, sorted by name and dimensions (copies: the caller may keep them). */
  snapshot(): MetricsSnapshot {
    const list = [...this.counters.values()]
      .map((c) => ({ ...c, dimensions: { ...c.dimensions } }))
      .sort((a, b) => a.name.localeCompare(b.name) || keyOf(a.name, a.dimensions).localeCompare(keyOf(b.name, b.dimensions)));
    return { since: this.since, scope: 'process', namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE, counters: list };
  }

  /** Forgets the counters: they start again from now. */
  reset(): void {
    this.counters.clear();
    this.since = this.now().toISOString();
  }
}

/**
 * The counters every function of this process records to: `processMetrics.use(own)` puts another
 * instance behind `recordMetric` and `metricsSnapshot`, `reset()` starts afresh.
 */
export const processMetrics = new ProcessDefault(() => new ProcessMetrics());
// Created at import, so that `since` is when the process started.
processMetrics.get();

/**
 * The process's EMF emitter, created at the first value: a cold start that counts nothing pays
 * nothing, and a function that only reads the counters (operator-metrics) bundles no Powertools
 * Metrics. A test puts its own in place (`metricEmitter.use(…)`).
 */
export const metricEmitter = /* @__PURE__ */ new ProcessDefault<MetricEmitter>(powertoolsEmitter);

/**
 * Records one value of a metric: in this process's counters and as an EMF line for CloudWatch.
 * A metric never fails the work it measures: an emitter problem is swallowed after counting.
 *
 * @example
 * recordMetric(METRIC.eventsApplied, { type: 'renewed' });
 * recordMetric(METRIC.auditLagHours, {}, 3.5, MetricUnit.Count);
 */
export function recordMetric(name: string, dimensions: Record<string, string> = {}, value = 1, unit: Unit = MetricUnit.Count): void {
  processMetrics.get().record(name, dimensions, value, unit);
  try {
    metricEmitter.get()(name, dimensions, value, unit);
  } catch {
    // Counted in process; CloudWatch misses one value rather than the caller failing.
  }
}

/** This process's counters, sorted by name and dimensions. */
export function metricsSnapshot(): MetricsSnapshot {
  return processMetrics.get().snapshot();
}

/** Forgets this process's counters and emitter (tests: a fresh start, with the environment as it is now). */
export function resetMetrics(): void {
  processMetrics.get().reset();
  metricEmitter.reset();
}

/** What a command answered: whether it wrote, replayed a stored result, or only computed (dry run). */
export interface CommandOutcome {
  replayed: boolean;
  dryRun: boolean;
}

/**
 * Counts one command's outcome: applied, replayed or dry run, by command type.
 *
 * @example
 * const result = await executeCommand(command, options);
 * countCommand(command.type, result);
 */
export function countCommand(type: string, outcome: CommandOutcome): void {
  if (outcome.replayed) recordMetric(METRIC.idempotentReplays, { type });
  else if (outcome.dryRun) recordMetric(METRIC.dryRuns, { type });
  else recordMetric(METRIC.eventsApplied, { type });
}

/**
 * Counts a command that was refused as stale (`409 stale_event`), then rethrows whatever it got:
 * use as `.catch(countStale(type))` on the command's promise.
 */
export function countStale(type: string): (error: unknown) => never {
  return (error) => {
    if (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'stale_event') {
      recordMetric(METRIC.staleEvents, { type });
    }
    throw error;
  };
}

/** Counts a force reassociation by reason when it was applied; replays and dry runs as for commands. */
export function countReassociation(reason: string, outcome: CommandOutcome): void {
  countCommand('reassociation', outcome);
  if (!outcome.replayed && !outcome.dryRun) recordMetric(METRIC.reassociations, { reason });
}

/** The error log's counters (the writer and the digests take them as a dependency). */
export const errorLogMetrics = {
  /** A failure with a noise code was dropped before storing. */
  noiseDropped: (code: string) => recordMetric(METRIC.errorLogNoiseDropped, { code }),
  /**
   * An occurrence was counted: created, repeated, reopened or duplicate (a redelivered event). A
   * new occurrence also counts as an error logged by code, and an async failure (a Lambda
   * onFailure delivery) as such.
   */
  recorded: (outcome: string, occurrence?: { code: string; source: string }) => {
    recordMetric(METRIC.errorLogOccurrences, { outcome });
    if (!occurrence || outcome === 'duplicate') return;
    recordMetric(METRIC.errorsLogged, { code: occurrence.code });
    if (occurrence.source === 'async') recordMetric(METRIC.asyncFailuresLogged);
  },
  /** The Slack message for a record could not be sent (it is retried by the next digest). */
  notificationFailed: () => recordMetric(METRIC.notificationFailed),
};
