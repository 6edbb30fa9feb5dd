import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LocalFunction } from '../../../local/functions.js';
import { LocalScheduler } from '../../../local/scheduler.js';
import type { EventBridgeEvent } from '../../../local/put-events.js';
import { toOccurrence } from '../../../shared/error-log/domain/sources.js';
import type { FunctionSpec } from '../../../shared/service/manifest.js';
import { functionSettings } from '../../../shared/service/manifest.js';

const spec = (name: string, cron: string): FunctionSpec => ({ name, description: name, entry: 'x', triggers: [{ kind: 'schedule', cron }], tables: {} });

function fn(name: string, cron: string, impl: (event: unknown) => Promise<unknown>): LocalFunction & { calls: unknown[] } {
  const calls: unknown[] = [];
  const fnSpec = spec(name, cron);
  return { spec: fnSpec, settings: functionSettings(fnSpec), calls, invoke: async (event) => (calls.push(event), impl(event)) };
}

const setup = (functions: LocalFunction[], now?: () => Date) => {
  const dispatched: EventBridgeEvent[] = [];
  const scheduler = new LocalScheduler({
    functions: new Map(functions.map((f) => [f.spec.name, f])),
    bus: { busName: 'provisioning', dispatch: (e: EventBridgeEvent) => void dispatched.push(e) },
    region: 'eu-west-1',
    retryDelaysMs: [1, 1],
    now,
    log: () => undefined,
  });
  return { scheduler, dispatched };
};

afterEach(() => {
  vi.useRealTimers();
});

describe('Class: LocalScheduler', () => {
  it('invokes with the Scheduled Event EventBridge sends', async () => {
    const daily = fn('daily-digest', 'cron(0 6 * * ? *)', async () => ({ ok: true }));
    const { scheduler } = setup([daily]);
    const result = await scheduler.runNow('daily-digest', new Date('2026-03-04T06:00:00.250Z'));
    expect(result).toEqual({ ok: true, result: { ok: true } });
    expect(daily.calls[0]).toEqual({
      version: '0',
      id: expect.any(String),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: '2026-03-04T06:00:00Z',
      region: 'eu-west-1',
      resources: ['arn:aws:events:eu-west-1:000000000000:rule/ProvisioningService-daily-digest-schedule0'],
      detail: {},
    });
  });

  it('retries a failing run, then puts the onFailure record on the bus, which the error log can read', async () => {
    const failing = fn('weekly-digest', 'cron(0 6 ? * MON *)', async () => Promise.reject(new TypeError('no GitLab')));
    const { scheduler, dispatched } = setup([failing]);
    const result = await scheduler.runNow('weekly-digest', new Date('2026-03-09T06:00:00Z'));
    expect(result.ok).toBe(false);
    expect(failing.calls).toHaveLength(3);
    expect(dispatched).toHaveLength(1);
    expect(dispatched[0]).toMatchObject({ source: 'lambda', 'detail-type': 'Lambda Function Invocation Result - Failure' });
    expect(toOccurrence(dispatched[0])).toMatchObject({
      code: 'async_handler_failed',
      subject: 'ProvisioningService-weekly-digest ← Scheduled Event: TypeError',
      message: 'no GitLab',
    });
  });

  it('retries as often as the function’s settings say, and gives up an event past its maximum age as EventAgeExceeded', async () => {
    let now = new Date('2026-03-09T06:00:00Z').getTime();
    const calls: number[] = [];
    const failing = fn('weekly-digest', 'cron(0 6 ? * MON *)', async () => {
      calls.push(now);
      now += 30_000;
      throw new Error('GitLab timed out');
    });
    const dispatched: EventBridgeEvent[] = [];
    const scheduler = new LocalScheduler({
      functions: new Map([[failing.spec.name, failing]]),
      bus: { busName: 'provisioning', dispatch: (e: EventBridgeEvent) => void dispatched.push(e) },
      region: 'eu-west-1',
      retryDelaysMs: [1],
      asyncInvoke: () => ({ maximumRetryAttempts: 6, maximumEventAgeSeconds: 100 }),
      now: () => new Date(now),
      log: () => undefined,
    });
    // Attempts start at 0, 30, 60 and 90 s; a fifth would start at 120 s, past the 100 s.
    const result = await scheduler.runNow('weekly-digest', new Date('2026-03-02T06:00:00Z'));
    expect(result.ok).toBe(false);
    expect(failing.calls).toHaveLength(4);
    expect(dispatched[0]!.detail).toMatchObject({ requestContext: { condition: 'EventAgeExceeded', approximateInvokeCount: 4 } });
  });

  it('fires on the cron schedule, and stops firing once stopped', async () => {
    vi.useFakeTimers({ now: new Date('2026-03-04T05:58:00Z') });
    const daily = fn('daily-digest', 'cron(0 6 * * ? *)', async () => undefined);
    const { scheduler } = setup([daily]);
    scheduler.start();
    expect(scheduler.schedules).toEqual([{ function: 'daily-digest', cron: 'cron(0 6 * * ? *)', next: '2026-03-04T06:00:00.000Z' }]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(daily.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(daily.calls).toHaveLength(1);
    expect((daily.calls[0] as { time: string }).time).toBe('2026-03-04T06:00:00Z');
    expect(scheduler.schedules[0]!.next).toBe('2026-03-05T06:00:00.000Z');
    await vi.advanceTimersByTimeAsync(24 * 3600_000);
    expect(daily.calls).toHaveLength(2);
    await scheduler.stop();
    await vi.advanceTimersByTimeAsync(48 * 3600_000);
    expect(daily.calls).toHaveLength(2);
  });
});
