/**
 * The local EventBridge Scheduler: runs each manifest schedule trigger at the times its cron
 * expression names (UTC), invoking the function with the `Scheduled Event` EventBridge sends.
 * Like an asynchronous Lambda invocation, a failed run is retried (ASYNC_INVOKE_DEFAULTS unless
 * the options say otherwise: retries and a maximum event age), then becomes the failure record an
 * onFailure destination puts on the bus (so it reaches the error log).
 */
import { randomUUID } from 'node:crypto';
import type { LocalBus } from './bus.js';
import { asyncInvokeSettings, invocationFailureEvent, invokeAsync } from './bus.js';
import { parseCron } from './cron.js';
import type { CronSchedule } from './cron.js';
import type { LocalFunction } from './functions.js';
import { ASYNC_RETRY_DELAYS_MS, LOCAL_ACCOUNT, functionName } from './functions.js';
import type { EventBridgeEvent } from './put-events.js';
import type { AsyncInvokeSettings, FunctionSpec } from '../shared/platform/manifest-types.js';

export interface SchedulerOptions {
  functions: Map<string, LocalFunction>;
  bus: Pick<LocalBus, 'dispatch' | 'busName'>;
  region: string;
  /** Delays before the 2nd, 3rd… attempt of a failed run, the last one repeated. Default ASYNC_RETRY_DELAYS_MS. */
  retryDelaysMs?: readonly number[];
  /** A function's async invocation settings, where they differ from ASYNC_INVOKE_DEFAULTS. */
  asyncInvoke?: (spec: FunctionSpec) => Partial<AsyncInvokeSettings> | undefined;
  now?: () => Date;
  log: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

interface Entry {
  fn: LocalFunction;
  cron: string;
  schedule: CronSchedule;
  ruleArn: string;
  next?: Date;
  timer?: NodeJS.Timeout;
}

/** setTimeout's longest delay; longer waits re-arm. */
const MAX_DELAY_MS = 2_147_483_647;

/** The event EventBridge sends a scheduled rule's target. */
export function scheduledEvent(ruleArn: string, at: Date, region: string): EventBridgeEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT,
    time: new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [ruleArn],
    detail: {},
  };
}

export class LocalScheduler {
  private readonly entries: Entry[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  readonly counters = { runs: 0, failed: 0 };

  constructor(private readonly options: SchedulerOptions) {
    for (const fn of options.functions.values()) {
      fn.spec.triggers.forEach((trigger, i) => {
        if (trigger.kind !== 'schedule') return;
        this.entries.push({
          fn,
          cron: trigger.cron,
          schedule: parseCron(trigger.cron),
          ruleArn: `arn:aws:events:${options.region}:${LOCAL_ACCOUNT}:rule/${functionName(fn.spec)}-schedule${i}`,
        });
      });
    }
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** What is scheduled and when it runs next. */
  get schedules(): Array<{ function: string; cron: string; next: string | null }> {
    return this.entries.map((e) => ({ function: e.fn.spec.name, cron: e.cron, next: e.next?.toISOString() ?? null }));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const entry of this.entries) this.arm(entry, this.now());
  }

  /** Stops the timers and waits for runs under way (retries included). */
  async stop(): Promise<void> {
    this.running = false;
    for (const entry of this.entries) clearTimeout(entry.timer);
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Runs a scheduled function now, as its schedule would at `at`, and waits for it (and for its
   * retries); resolves with the last attempt's outcome.
   */
  async runNow(name: string, at: Date = this.now()): Promise<{ ok: boolean; result?: unknown; error?: unknown }> {
    const entry = this.entries.find((e) => e.fn.spec.name === name);
    if (!entry) throw new Error(`${name} has no schedule trigger in the manifest`);
    return this.track(entry, at);
  }

  private arm(entry: Entry, after: Date): void {
    if (!this.running) return;
    entry.next = entry.schedule.next(after);
    if (!entry.next) return;
    const fireAt = entry.next;
    const delay = fireAt.getTime() - this.now().getTime();
    entry.timer = setTimeout(
      () => {
        if (delay > MAX_DELAY_MS) return this.arm(entry, new Date(fireAt.getTime() - 60_000));
        void this.track(entry, fireAt);
        this.arm(entry, fireAt);
      },
      Math.max(0, Math.min(delay, MAX_DELAY_MS)),
    );
    entry.timer.unref?.();
  }

  private track(entry: Entry, at: Date): Promise<{ ok: boolean; result?: unknown; error?: unknown }> {
    const run = this.fire(entry, at);
    const done = run.then(() => undefined).finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
    return run;
  }

  private async fire(entry: Entry, at: Date): Promise<{ ok: boolean; result?: unknown; error?: unknown }> {
    const event = scheduledEvent(entry.ruleArn, at, this.options.region);
    const requestId = randomUUID();
    this.counters.runs++;
    // The event's age counts from this run's start, not from `at` (a run now for an earlier date is not old).
    const outcome = await invokeAsync(() => entry.fn.invoke(event, requestId), {
      settings: asyncInvokeSettings(this.options.asyncInvoke?.(entry.fn.spec)),
      delaysMs: this.options.retryDelaysMs ?? ASYNC_RETRY_DELAYS_MS,
      now: () => this.now(),
      onFailedAttempt: (attempt, error) =>
        this.options.log('warn', 'scheduled run failed', { function: entry.fn.spec.name, attempt, errorType: (error as Error)?.name }),
    });
    if (outcome.ok) {
      this.options.log('info', 'scheduled run finished', { function: entry.fn.spec.name, scheduledAt: event.time, attempt: outcome.attempts });
      return { ok: true, result: outcome.result };
    }
    this.counters.failed++;
    const where = { region: this.options.region, busName: this.options.bus.busName };
    this.options.bus.dispatch(invocationFailureEvent(entry.fn, event, requestId, outcome.attempts, outcome.error, where, outcome.condition));
    this.options.log('error', 'scheduled run failed; failure record put on the bus', {
      function: entry.fn.spec.name,
      condition: outcome.condition,
      attempts: outcome.attempts,
    });
    return { ok: false, error: outcome.error };
  }
}
