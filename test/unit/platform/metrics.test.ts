import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  METRIC,
  countCommand,
  countReassociation,
  countStale,
  errorLogMetrics,
  ProcessMetrics,
  metricEmitter,
  metricsSnapshot,
  processMetrics,
  recordMetric,
  resetMetrics,
} from '../../../shared/platform/metrics.js';
import { ApplicationError, IdempotencyConflictError } from '../../../shared/platform/errors.js';

/** A refusal as a feature raises one (lifecycle's CommandRejectedError for `stale_event`). */
class Refused extends ApplicationError {
  readonly kind = 'conflict';
}

/** The EMF lines Powertools wrote to stdout while `act` ran. */
function emfLines(act: () => void): Array<Record<string, unknown>> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    act();
  } finally {
    spy.mockRestore();
  }
  return lines.flatMap((l) => l.split('\n')).filter((l) => l.startsWith('{"_aws"')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

const counter = (name: string, dimensions: Record<string, string> = {}) =>
  metricsSnapshot().counters.find((c) => c.name === name && JSON.stringify(c.dimensions) === JSON.stringify(dimensions));

describe('Module: shared/platform/metrics', () => {
  beforeEach(() => {
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    resetMetrics();
  });
  afterEach(() => {
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    resetMetrics();
  });

  describe('Function: recordMetric', () => {
    it('emits one EMF line per value, in namespace Provisioning with the service dimension', () => {
      const [line, ...rest] = emfLines(() => recordMetric(METRIC.eventsApplied, { type: 'renewed' }));
      expect(rest).toEqual([]);
      expect(line).toMatchObject({
        _aws: { CloudWatchMetrics: [{ Namespace: 'Provisioning', Dimensions: [['service', 'type']], Metrics: [{ Name: 'EventsApplied', Unit: 'Count' }] }] },
        service: 'provisioning',
        type: 'renewed',
        EventsApplied: 1,
      });
    });

    it('counts in process per name and dimensions, also when EMF output is disabled', () => {
      process.env.POWERTOOLS_METRICS_DISABLED = 'true';
      const lines = emfLines(() => {
        recordMetric(METRIC.eventsApplied, { type: 'renewed' });
        recordMetric(METRIC.eventsApplied, { type: 'renewed' });
        recordMetric(METRIC.eventsApplied, { type: 'created' });
        recordMetric(METRIC.auditLagHours, {}, 5);
        recordMetric(METRIC.auditLagHours, {}, 2);
      });
      expect(lines).toEqual([]);
      expect(counter('EventsApplied', { type: 'renewed' })).toMatchObject({ samples: 2, sum: 2, last: 1 });
      expect(counter('EventsApplied', { type: 'created' })).toMatchObject({ samples: 1, sum: 1 });
      expect(counter('AuditLagHours')).toMatchObject({ samples: 2, sum: 7, max: 5, last: 2 });
      const snapshot = metricsSnapshot();
      expect(snapshot.scope).toBe('process');
      expect(snapshot.counters.map((c) => c.name)).toEqual(['AuditLagHours', 'EventsApplied', 'EventsApplied']);
    });

    it('keys counters by dimensions whatever their order', () => {
      process.env.POWERTOOLS_METRICS_DISABLED = 'true';
      recordMetric('X', { a: '1', b: '2' });
      recordMetric('X', { b: '2', a: '1' });
      expect(metricsSnapshot().counters).toHaveLength(1);
      expect(metricsSnapshot().counters[0]!.sum).toBe(2);
    });
  });

  describe('Function: countCommand', () => {
    it('counts an applied command, a replay and a dry run under their own names', () => {
      process.env.POWERTOOLS_METRICS_DISABLED = 'true';
      countCommand('created', { replayed: false, dryRun: false });
      countCommand('created', { replayed: true, dryRun: false });
      // A replayed dry run is a replay: the stored result was answered.
      countCommand('created', { replayed: true, dryRun: true });
      countCommand('created', { replayed: false, dryRun: true });
      expect(counter('EventsApplied', { type: 'created' })?.sum).toBe(1);
      expect(counter('IdempotentReplays', { type: 'created' })?.sum).toBe(2);
      expect(counter('DryRuns', { type: 'created' })?.sum).toBe(1);
    });
  });

  describe('Function: countStale', () => {
    it('counts a stale_event refusal and rethrows it', async () => {
      process.env.POWERTOOLS_METRICS_DISABLED = 'true';
      const stale = new Refused('stale_event', 'older than the last measurement', { settled: true });
      await expect(Promise.reject(stale).catch(countStale('seatUsageReported'))).rejects.toBe(stale);
      expect(counter('StaleEvents', { type: 'seatUsageReported' })?.sum).toBe(1);
    });

    it('rethrows any other error without counting it', async () => {
      process.env.POWERTOOLS_METRICS_DISABLED = 'true';
      const other = new IdempotencyConflictError('evt-1');
      await expect(Promise.reject(other).catch(countStale('created'))).rejects.toBe(other);
      await expect(Promise.reject(new Error('boom')).catch(countStale('created'))).rejects.toThrow('boom');
      expect(metricsSnapshot().counters).toEqual([]);
    });
  });

  describe('Function: countReassociation', () => {
    it('counts an applied reassociation by reason, and dry runs and replays by type only', () => {
      process.env.POWERTOOLS_METRICS_DISABLED = 'true';
      countReassociation('broken_association', { replayed: false, dryRun: true });
      countReassociation('broken_association', { replayed: false, dryRun: false });
      countReassociation('broken_association', { replayed: true, dryRun: false });
      expect(counter('Reassociations', { reason: 'broken_association' })?.sum).toBe(1);
      expect(counter('DryRuns', { type: 'reassociation' })?.sum).toBe(1);
      expect(counter('EventsApplied', { type: 'reassociation' })?.sum).toBe(1);
      expect(counter('IdempotentReplays', { type: 'reassociation' })?.sum).toBe(1);
    });
  });

  describe('Object: errorLogMetrics', () => {
    it('counts errors logged by code and async failures, never a redelivery', () => {
      process.env.POWERTOOLS_METRICS_DISABLED = 'true';
      errorLogMetrics.recorded('created', { code: 'async_handler_failed', source: 'async' });
      errorLogMetrics.recorded('repeated', { code: 'renewal_not_processed', source: 'audit' });
      errorLogMetrics.recorded('duplicate', { code: 'async_handler_failed', source: 'async' });
      expect(counter('ErrorLogOccurrences', { outcome: 'created' })?.sum).toBe(1);
      expect(counter('ErrorLogOccurrences', { outcome: 'duplicate' })?.sum).toBe(1);
      expect(counter('ErrorsLogged', { code: 'async_handler_failed' })?.sum).toBe(1);
      expect(counter('ErrorsLogged', { code: 'renewal_not_processed' })?.sum).toBe(1);
      expect(counter('AsyncFailuresLogged')?.sum).toBe(1);
    });

    it('counts dropped noise and failed notifications', () => {
      process.env.POWERTOOLS_METRICS_DISABLED = 'true';
      errorLogMetrics.noiseDropped('stale_event');
      errorLogMetrics.notificationFailed();
      expect(counter('ErrorLogNoiseDropped', { code: 'stale_event' })?.sum).toBe(1);
      expect(counter('ErrorLogNotificationFailed')?.sum).toBe(1);
    });
  });

  describe('Class: ProcessMetrics', () => {
    it('counts per name and dimensions, with the time of the first and last value', () => {
      let now = '2026-05-01T10:00:00.000Z';
      const metrics = new ProcessMetrics({ now: () => new Date(now) });
      metrics.record(METRIC.dryRuns, { type: 'created' });
      now = '2026-05-01T11:00:00.000Z';
      metrics.record(METRIC.dryRuns, { type: 'created' }, 2);
      expect(metrics.snapshot()).toEqual({
        since: '2026-05-01T10:00:00.000Z',
        scope: 'process',
        namespace: 'Provisioning',
        counters: [{ name: 'DryRuns', dimensions: { type: 'created' }, unit: 'Count', samples: 2, sum: 3, max: 2, last: 2, firstAt: '2026-05-01T10:00:00.000Z', lastAt: '2026-05-01T11:00:00.000Z' }],
      });
    });

    it('forgets its counters on reset, and counts from then', () => {
      let now = '2026-05-01T10:00:00.000Z';
      const metrics = new ProcessMetrics({ now: () => new Date(now) });
      metrics.record(METRIC.eventsApplied, { type: 'renewed' });
      now = '2026-05-02T10:00:00.000Z';
      metrics.reset();
      expect(metrics.snapshot()).toMatchObject({ since: '2026-05-02T10:00:00.000Z', counters: [] });
    });
  });

  describe('Objects: processMetrics and metricEmitter', () => {
    afterEach(() => {
      processMetrics.reset();
      metricEmitter.reset();
    });

    it('put other counters and another emitter behind recordMetric and metricsSnapshot', () => {
      const before = processMetrics.get();
      const own = new ProcessMetrics();
      const emitted: unknown[][] = [];
      processMetrics.use(own);
      metricEmitter.use((...args) => void emitted.push(args));
      countCommand('expired', { replayed: false, dryRun: false });
      expect(own.snapshot().counters.map((c) => [c.name, c.sum])).toEqual([['EventsApplied', 1]]);
      expect(metricsSnapshot()).toEqual(own.snapshot());
      expect(before.snapshot().counters).toEqual([]);
      expect(emitted).toEqual([['EventsApplied', { type: 'expired' }, 1, 'Count']]);
      resetMetrics();
      expect(own.snapshot().counters).toEqual([]);
      processMetrics.reset();
      expect(processMetrics.get()).not.toBe(own);
    });

    it('counts a value whose emitter throws, and never throws itself', () => {
      metricEmitter.use(() => {
        throw new Error('no stdout');
      });
      expect(() => recordMetric(METRIC.errorsLogged, { code: 'x' })).not.toThrow();
      expect(counter('ErrorsLogged', { code: 'x' })?.sum).toBe(1);
    });
  });
});
