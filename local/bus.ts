/**
 * The local `provisioning` bus: accepts PutEvents as EventBridge does, matches the manifest's event
 * patterns, and delivers asynchronously to the same handlers — retried as Lambda retries async
 * invocations, and on exhaustion turned into the same failure record a Lambda onFailure destination
 * puts on the bus.
 */
import { randomUUID } from 'node:crypto';
import type { LocalFunction } from './functions.js';
import { ASYNC_RETRY_DELAYS_MS, LOCAL_ACCOUNT, functionName } from './functions.js';
import { matchesPattern, validatePattern } from './event-pattern.js';
import { parsePutEvents } from './put-events.js';
import type { EventBridgeEvent, PutEventsResult } from './put-events.js';
import { sleep } from '../shared/platform/backoff.js';

export const FAILURE_DETAIL_TYPE = 'Lambda Function Invocation Result - Failure';

export interface BusOptions {
  busName: string;
  region: string;
  functions: Map<string, LocalFunction>;
  /** Handler invocations under way at once, across all deliveries (default MAX_CONCURRENT_DELIVERIES); the rest wait their turn. */
  maxConcurrentDeliveries?: number;
  /** Delays before the 2nd and 3rd attempt (Lambda: about 1 and 2 minutes; shorter locally). Default ASYNC_RETRY_DELAYS_MS. */
  retryDelaysMs?: readonly number[];
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
    const delays = this.options.retryDelaysMs ?? ASYNC_RETRY_DELAYS_MS;
    const requestId = randomUUID();
    let lastError: unknown;
    for (let attempt = 1; attempt <= delays.length + 1; attempt++) {
      if (attempt > 1) {
        this.counters.retried++;
        await sleep(delays[attempt - 2]);
      }
      try {
        await this.withSlot(() => fn.invoke(event, requestId));
        this.counters.delivered++;
        return;
      } catch (error) {
        lastError = error;
        this.options.log('warn', 'event delivery failed', { function: fn.spec.name, eventBridgeId: event.id, attempt, errorType: (error as Error)?.name });
      }
    }
    this.counters.failed++;
    const failure = invocationFailureEvent(fn, event, requestId, delays.length + 1, lastError, this.options);
    const record = failure.detail as unknown as InvocationFailureRecord;
    this.options.log('error', 'event delivery failed after retries; failure record put on the bus', {
      function: fn.spec.name,
      eventBridgeId: event.id,
      errorType: record.responsePayload.errorType,
    });
    // A failure while handling a failure record is not fed back, or one broken consumer would loop.
    if (event['detail-type'] === FAILURE_DETAIL_TYPE) return;
    this.dispatch(failure);
  }
}

/**
 * The event a Lambda onFailure destination puts on the bus after the retries of an asynchronous
 * invocation (a rule's delivery or a schedule's) are exhausted: the invocation record as detail.
 */
export function invocationFailureEvent(
  fn: LocalFunction,
  payload: unknown,
  requestId: string,
  attempts: number,
  error: unknown,
  where: { region: string; busName: string },
): EventBridgeEvent {
  const record = failureRecord(fn, payload, requestId, attempts, error, where.region);
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

function failureRecord(fn: LocalFunction, event: unknown, requestId: string, attempts: number, error: unknown, region: string): InvocationFailureRecord {
  const err = error instanceof Error ? error : new Error(String(error));
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId,
      functionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${functionName(fn.spec)}:$LATEST`,
      condition: 'RetriesExhausted',
      approximateInvokeCount: attempts,
    },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: err.name, errorMessage: err.message, trace: (err.stack ?? '').split('\n').slice(1, 11).map((l) => l.trim()) },
  };
}
