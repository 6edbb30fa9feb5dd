/**
 * Asynchronous delivery on the local bus retries as the function's EventInvokeConfig says
 * (ASYNC_INVOKE_DEFAULTS unless the target says otherwise) and ends in the invocation record an
 * onFailure destination puts on the bus: `RetriesExhausted` after 1 + maximumRetryAttempts
 * attempts, `EventAgeExceeded` once the event is older than its maximum age.
 */
import { describe, expect, it } from 'vitest';
import { FAILURE_DETAIL_TYPE, LocalBus, asyncInvokeSettings, invokeAsync } from '../../../local/bus.js';
import type { InvocationFailureRecord } from '../../../local/bus.js';
import type { LocalFunction } from '../../../local/functions.js';
import type { EventBridgeEvent } from '../../../local/put-events.js';
import { toOccurrence } from '../../../shared/error-log/domain/sources.js';
import type { AsyncInvokeSettings, FunctionSpec } from '../../../shared/service/manifest.js';
import { ASYNC_INVOKE_DEFAULTS, functionSettings } from '../../../shared/service/manifest.js';

const T0 = new Date('2026-03-04T10:00:00Z');

function failingFunction(onCall: () => void = () => undefined): LocalFunction & { calls: number } {
  const spec: FunctionSpec = {
    name: 'seat-usage-consumer',
    description: 'x',
    entry: 'x',
    triggers: [{ kind: 'event', pattern: { source: ['customers-portal'] } }],
    tables: {},
  };
  const fn = {
    spec,
    settings: functionSettings(spec),
    calls: 0,
    invoke: async () => {
      fn.calls++;
      onCall();
      throw new TypeError('namespace store unavailable');
    },
  };
  return fn;
}

const event = (): EventBridgeEvent => ({
  version: '0',
  id: 'evt-1',
  'detail-type': 'Seat Usage Reported',
  source: 'customers-portal',
  account: '000000000000',
  time: '2026-03-04T10:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail: { namespaceId: 42, seatsInUse: 3, measuredAt: '2026-03-04T09:59:00Z' },
});

async function deliver(fn: LocalFunction, options: { asyncInvoke?: Partial<AsyncInvokeSettings>; now?: () => Date } = {}) {
  const bus = new LocalBus({
    busName: 'provisioning',
    region: 'eu-west-1',
    functions: new Map([[fn.spec.name, fn]]),
    retryDelaysMs: [1, 1],
    asyncInvoke: () => options.asyncInvoke,
    now: options.now,
    log: () => undefined,
  });
  bus.dispatch(event());
  await bus.drain();
  const failures = bus.recent.filter((e) => e['detail-type'] === FAILURE_DETAIL_TYPE);
  return { bus, failures, records: failures.map((f) => f.detail as unknown as InvocationFailureRecord) };
}

describe('Class: LocalBus', () => {
  it('makes 1 + ASYNC_INVOKE_DEFAULTS.maximumRetryAttempts attempts by default, then puts RetriesExhausted on the bus', async () => {
    const fn = failingFunction();
    const { records, bus } = await deliver(fn);
    expect(fn.calls).toBe(1 + ASYNC_INVOKE_DEFAULTS.maximumRetryAttempts);
    expect(records).toHaveLength(1);
    expect(records[0]!.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 3 });
    expect(bus.counters).toMatchObject({ retried: 2, failed: 1, delivered: 0 });
  });

  it('makes 1 + maximumRetryAttempts attempts when the target says so, more than there are retry delays', async () => {
    const fn = failingFunction();
    const { records } = await deliver(fn, { asyncInvoke: { maximumRetryAttempts: 4 } });
    expect(fn.calls).toBe(5);
    expect(records[0]!.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 5 });
    expect(records[0]!.responsePayload).toMatchObject({ errorType: 'TypeError', errorMessage: 'namespace store unavailable' });
  });

  it('makes one attempt only when maximumRetryAttempts is 0', async () => {
    const fn = failingFunction();
    const { records } = await deliver(fn, { asyncInvoke: { maximumRetryAttempts: 0 } });
    expect(fn.calls).toBe(1);
    expect(records[0]!.requestContext.approximateInvokeCount).toBe(1);
  });

  it('sends an event past its maximum age to onFailure as EventAgeExceeded, retries left or not, and the error log files it as expired', async () => {
    let now = T0.getTime();
    // Each attempt takes 40 s: the second one would start 80 s after the event was queued.
    const fn = failingFunction(() => (now += 40_000));
    const { records, failures } = await deliver(fn, { asyncInvoke: { maximumEventAgeSeconds: 60, maximumRetryAttempts: 5 }, now: () => new Date(now) });
    expect(fn.calls).toBe(2);
    expect(records[0]!.requestContext).toMatchObject({ condition: 'EventAgeExceeded', approximateInvokeCount: 2 });
    expect(toOccurrence(failures[0])).toMatchObject({ code: 'async_event_expired' });
  });
});

describe('Function: invokeAsync', () => {
  it('answers the result and the attempt that succeeded', async () => {
    let calls = 0;
    const outcome = await invokeAsync(async () => (++calls < 3 ? Promise.reject(new Error('not yet')) : 'done'), {
      settings: asyncInvokeSettings(),
      delaysMs: [0],
      now: () => T0,
    });
    expect(outcome).toEqual({ ok: true, result: 'done', attempts: 3 });
  });

  it('takes a function’s own settings over the defaults', () => {
    expect(asyncInvokeSettings({ maximumEventAgeSeconds: 60 })).toEqual({ maximumRetryAttempts: 2, maximumEventAgeSeconds: 60 });
    expect(asyncInvokeSettings()).toEqual({ maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 });
  });
});
