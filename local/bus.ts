/**
 * The local `provisioning` bus: accepts PutEvents as EventBridge does, matches the manifest's event
 * patterns, and delivers asynchronously to the same handlers — retried as Lambda retries async
 * invocations, with the function's EventInvokeConfig (ASYNC_INVOKE_DEFAULTS unless the target says
 * otherwise): 1 + maximumRetryAttempts attempts, none started once the event is older than
 * maximumEventAgeSeconds. Then the same failure record a Lambda onFailure destination puts on the
 * bus, with condition `RetriesExhausted` or `EventAgeExceeded`.
 */
import { randomUUID } from 'node:crypto';
import type { LocalFunction } from './functions.js';
import { ASYNC_RETRY_DELAYS_MS, LOCAL_ACCOUNT, functionName } from './functions.js';
import { matchesPattern, validatePattern } from './event-pattern.js';
import { parsePutEvents } from './put-events.js';
import type { EventBridgeEvent, PutEventsResult } from './put-events.js';
import { sleep } from '../shared/platform/backoff.js';
import { ASYNC_INVOKE_DEFAULTS } from '../shared/platform/manifest-types.js';
import type { AsyncInvokeSettings, FunctionSpec } from '../shared/platform/manifest-types.js';

export const FAILURE_DETAIL_TYPE = 'Lambda Function Invocation Result - Failure';

export interface BusOptions {
  busName: string;
  region: string;
  functions: Map<string, LocalFunction>;
  /** Handler invocations under way at once, across all deliveries (default MAX_CONCURRENT_DELIVERIES); the rest wait their turn. */
  maxConcurrentDeliveries?: number;
  /** Delays before the 2nd, 3rd… attempt, the last one repeated (Lambda: about 1 and 2 minutes; shorter locally). Default ASYNC_RETRY_DELAYS_MS. */
  retryDelaysMs?: readonly number[];
  /** A target function's async invocation settings, where they differ from ASYNC_INVOKE_DEFAULTS. */
  asyncInvoke?: (spec: FunctionSpec) => Partial<AsyncInvokeSettings> | undefined;
  /** The clock events' ages are measured with. */
  now?: () => Date;
  log: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

interface Target {
  fn: LocalFunction;
  pattern: Record<string, unknown>;
}

/** The record Lambda sends to an onFailure destination (an EventBridge bus here). */
export interface InvocationFailureRecord {
  version: '1.0';
  timestamp: string;
  requestContext: { requestId: string; functionArn: string; condition: 'RetriesExhausted' | 'EventAgeExceeded'; approximateInvokeCount: number };
  requestPayload: unknown;
  responseContext: { statusCode: number; executedVersion: string; functionError: 'Unhandled' };
  responsePayload: { errorType: string; errorMessage: string; trace: string[] };
}

/**
 * How many handler invocations the bus runs at once, as a function's reserved concurrency would in
 * AWS: a burst of PutEvents queues its deliveries instead of running hundreds of handlers (and
 * their DynamoDB calls) at the same time on one machine.
 */
export const MAX_CONCURRENT_DELIVERIES = 8;

export class LocalBus {
  private readonly targets: Target[] = [];
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** The most invocations that ran at once (tests check the cap with it). */
  peakConcurrentDeliveries = 0;
  private readonly inFlight = new Set<Promise<void>>();
  readonly counters = { accepted: 0, delivered: 0, retried: 0, failed: 0 };
  /** Every event accepted, newest last, bounded: lets tests and the admin page see what went by. */
  readonly recent: EventBridgeEvent[] = [];

  get busName(): string {
    return this.options.busName;
  }

  constructor(private readonly options: BusOptions) {
    for (const fn of options.functions.values()) {
      for (const trigger of fn.spec.triggers) {
        if (trigger.kind !== 'event') continue;
        const problems = validatePattern(trigger.pattern);
        if (problems.length) throw new Error(`${fn.spec.name}: its event pattern is not supported locally: ${problems.join('; ')}`);
        this.targets.push({ fn, pattern: trigger.pattern as Record<string, unknown> });
      }
    }
  }

  /** Fault injection for tests: while set, PutEvents answers 503 as an unreachable EventBridge would. */
  unavailable = false;

  /** Answers a PutEvents call (the AWS JSON 1.1 wire format) and delivers what it accepted. */
  putEvents(headers: Record<string, string | string[] | undefined>, body: string): PutEventsResult {
    if (this.unavailable) {
      return { status: 503, body: { __type: 'ServiceUnavailableException', message: 'The local bus is unavailable (fault injected).' }, accepted: [] };
    }
    const result = parsePutEvents(headers, body, {
      busName: this.options.busName,
      region: this.options.region,
      account: LOCAL_ACCOUNT,
      now: () => new Date(),
      newId: randomUUID,
    });
    for (const event of result.accepted) this.dispatch(event);
    return result;
  }

  /** Puts an event on the bus from inside the runtime (failure records, scheduled events). */
  dispatch(event: EventBridgeEvent): void {
    this.counters.accepted++;
    this.recent.push(event);
    if (this.recent.length > 1000) this.recent.shift();
    for (const target of this.targets) {
      if (!matchesPattern(target.pattern, event as unknown as Record<string, unknown>)) continue;
      const delivery = this.deliver(target.fn, event).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  /** Resolves when every delivery under way (retries included) has finished. */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /** Runs `work` when fewer than the cap of invocations are under way. */
  private async withSlot<T>(work: () => Promise<T>): Promise<T> {
    const cap = this.options.maxConcurrentDeliveries ?? MAX_CONCURRENT_DELIVERIES;
    // A slot freed is handed to the next waiter as it is: nobody can take it in between.
    if (this.running >= cap) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    this.peakConcurrentDeliveries = Math.max(this.peakConcurrentDeliveries, this.running);
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  private async deliver(fn: LocalFunction, event: EventBridgeEvent): Promise<void> {
    const requestId = randomUUID();
    const outcome = await invokeAsync(() => this.withSlot(() => fn.invoke(event, requestId)), {
      settings: asyncInvokeSettings(this.options.asyncInvoke?.(fn.spec)),
      delaysMs: this.options.retryDelaysMs ?? ASYNC_RETRY_DELAYS_MS,
      now: () => this.options.now?.() ?? new Date(),
      onFailedAttempt: (attempt, error) =>
        this.options.log('warn', 'event delivery failed', { function: fn.spec.name, eventBridgeId: event.id, attempt, errorType: (error as Error)?.name }),
      onRetry: () => void this.counters.retried++,
    });
    if (outcome.ok) {
      this.counters.delivered++;
      return;
    }
    this.counters.failed++;
    const failure = invocationFailureEvent(fn, event, requestId, outcome.attempts, outcome.error, this.options, outcome.condition);
    const record = failure.detail as unknown as InvocationFailureRecord;
    this.options.log('error', 'event delivery failed; failure record put on the bus', {
      function: fn.spec.name,
      eventBridgeId: event.id,
      condition: outcome.condition,
      attempts: outcome.attempts,
      errorType: record.responsePayload.errorType,
    });
    // A failure while handling a failure record is not fed back, or one broken consumer would loop.
    if (event['detail-type'] === FAILURE_DETAIL_TYPE) return;
    this.dispatch(failure);
  }
}

/** A function's async invocation settings: its own where given, else ASYNC_INVOKE_DEFAULTS. */
export const asyncInvokeSettings = (own?: Partial<AsyncInvokeSettings>): AsyncInvokeSettings => ({
  maximumRetryAttempts: own?.maximumRetryAttempts ?? ASYNC_INVOKE_DEFAULTS.maximumRetryAttempts,
  maximumEventAgeSeconds: own?.maximumEventAgeSeconds ?? ASYNC_INVOKE_DEFAULTS.maximumEventAgeSeconds,
});

export type FailureCondition = InvocationFailureRecord['requestContext']['condition'];

export type AsyncOutcome =
  | { ok: true; result: unknown; attempts: number }
  | { ok: false; error: unknown; attempts: number; condition: FailureCondition };

/**
 * Runs an asynchronous invocation as Lambda does: the first attempt, then up to
 * `maximumRetryAttempts` retries after the delays (the last delay repeated), none started once the
 * event is older than `maximumEventAgeSeconds` (counted from the first attempt's start, when the
 * event was queued for the function).
 *
 * @example
 * const outcome = await invokeAsync(() => fn.invoke(event), { settings: asyncInvokeSettings(), delaysMs: [200, 1000], now: () => new Date() });
 * if (!outcome.ok) bus.dispatch(invocationFailureEvent(fn, event, requestId, outcome.attempts, outcome.error, where, outcome.condition));
 */
export async function invokeAsync(
  invoke: () => Promise<unknown>,
  policy: {
    settings: AsyncInvokeSettings;
    delaysMs: readonly number[];
    now: () => Date;
    onFailedAttempt?: (attempt: number, error: unknown) => void;
    onRetry?: () => void;
  },
): Promise<AsyncOutcome> {
  const queuedAt = policy.now().getTime();
  for (let attempt = 1; ; attempt++) {
    try {
      return { ok: true, result: await invoke(), attempts: attempt };
    } catch (error) {
      policy.onFailedAttempt?.(attempt, error);
      if (attempt > policy.settings.maximumRetryAttempts) return { ok: false, error, attempts: attempt, condition: 'RetriesExhausted' };
      await sleep(policy.delaysMs[Math.min(attempt - 1, policy.delaysMs.length - 1)] ?? 0);
      // An event too old for another attempt goes to onFailure as it is, retries left or not.
      if (policy.now().getTime() - queuedAt > policy.settings.maximumEventAgeSeconds * 1000) {
        return { ok: false, error, attempts: attempt, condition: 'EventAgeExceeded' };
      }
      policy.onRetry?.();
    }
  }
}

/**
 * The event a Lambda onFailure destination puts on the bus when an asynchronous invocation (a
 * rule's delivery or a schedule's) failed for good: the invocation record as detail.
 */
export function invocationFailureEvent(
  fn: LocalFunction,
  payload: unknown,
  requestId: string,
  attempts: number,
  error: unknown,
  where: { region: string; busName: string },
  condition: FailureCondition = 'RetriesExhausted',
): EventBridgeEvent {
  const record = failureRecord(fn, payload, requestId, attempts, error, where.region, condition);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': FAILURE_DETAIL_TYPE,
    source: 'lambda',
    account: LOCAL_ACCOUNT,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: where.region,
    resources: [`arn:aws:events:${where.region}:${LOCAL_ACCOUNT}:event-bus/${where.busName}`, record.requestContext.functionArn],
    detail: record as unknown as Record<string, unknown>,
  };
}

function failureRecord(
  fn: LocalFunction,
  event: unknown,
  requestId: string,
  attempts: number,
  error: unknown,
  region: string,
  condition: FailureCondition,
): InvocationFailureRecord {
  const err = error instanceof Error ? error : new Error(String(error));
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId,
      functionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${functionName(fn.spec)}:$LATEST`,
      condition,
      approximateInvokeCount: attempts,
    },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: err.name, errorMessage: err.message, trace: (err.stack ?? '').split('\n').slice(1, 11).map((l) => l.trim()) },
  };
}
