/**
 * DynamoDB calls and capacity per event: the local runtime runs in this process, the counter sits on
 * the very client the handlers use (`ddb()`), and each command goes through the HTTP API as a caller
 * sends it. Every command is dated in the past and sent in business order (shared/lifecycle/domain/
 * log.ts), so each is applied to the current state; then what a late one costs: a seat-usage report
 * a day and a month older than the newest of a namespace's daily reports.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { startRuntime } from '../local/runtime.js';
import type { Runtime } from '../local/runtime.js';
import { ddb } from '../shared/platform/dynamodb/client.js';
import { countDynamoDbCalls } from './count-calls.js';
import { countErrorLogWriterCalls } from './error-log-calls.js';
import type { ErrorLogWriterCosts } from './error-log-calls.js';
import type { CallCounts } from './count-calls.js';
import type { Progress } from './progress.js';
import type { EventKind, InOrderCost, LateEventCost, LateEventCosts, SubscriptionAddressed, Units } from './results.js';

export interface CallsOptions {
  dynamoEndpoint: string;
  /** The tables of `elsewhere`: subscriptions it creates are unknown to this process. */
  tablePrefix: string;
  tokens: { service: string; operator: string };
  /** Another process serving the same tables (the runtime child). */
  elsewhere: { url: string };
  progress: Progress;
}

export interface CallsFigures {
  perEvent: Record<EventKind, number>;
  firstSeen: Record<SubscriptionAddressed, number>;
  /** Requests per DynamoDB operation, per measured event (by label). */
  detail: Record<string, Record<string, number>>;
  /** Capacity units consumed, per measured event (by label). */
  units: Record<string, Units>;
  late: LateEventCosts;
  /** The error-log writer's calls per reported failure (bench/error-log-calls.ts). */
  errorLogWriter: ErrorLogWriterCosts;
}

interface Step {
  method: 'POST' | 'PUT';
  path: string;
  body: Record<string, unknown>;
}

const at = (day: string, time = '10:00:00') => `${day}T${time}Z`;
const DAY_MS = 86_400_000;
const dayAfter = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

/** What a late measurement is measured against: a term, then a daily report for this many days, in order. */
export const LATE_EVENT_PLAN = {
  term: { startDate: '2026-09-01', endDate: '2027-09-01', seats: 10 },
  dailyReports: 60,
  /** How many days before the newest report the late ones are dated (at 15:00 and 16:00; the daily ones at 10:00). */
  delays: { day: 1, month: 30 },
} as const;

/**
 * Items of a command's transaction besides the log entries it rewrites: state, history, idempotency
 * record, its own log entry, and the copy of the state its subscription's pointer carries (the late
 * reports' namespaces hold a subscription).
 */
const COMMAND_ITEMS = 5;

async function call(base: string, token: string, step: Step): Promise<{ status: number; replayed: string | null; text: string }> {
  const response = await fetch(`${base}${step.path}`, {
    method: step.method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(step.body),
  });
  return { status: response.status, replayed: response.headers.get('idempotent-replayed'), text: await response.text() };
}

async function send(base: string, token: string, step: Step, what: string): Promise<void> {
  const answer = await call(base, token, step);
  if (answer.status !== 200) throw new Error(`${what}: ${step.method} ${step.path} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
}

const round1 = (value: number) => Math.round(value * 10) / 10;

/** An event's units: write units by item size (DynamoDB Local undercounts transactions), and as answered. */
const unitsOf = (counts: CallCounts): Units => ({
  readUnits: round1(counts.readUnits),
  writeUnits: round1(counts.sizedWriteUnits),
  answeredWriteUnits: round1(counts.writeUnits),
});

/**
 * Runs every function of `runtime` that serves an HTTP request in an async context of its own, and
 * answers whether the call under way belongs to one. Other work of the same process — the stream's
 * outbox, which prunes a log with a Query when a new term starts, or a bus delivery — may run while
 * the measured request is under way; in AWS it is another Lambda, and it is not the command's cost.
 */
function servingHttp(runtime: Runtime): () => boolean {
  const scope = new AsyncLocalStorage<true>();
  for (const fn of runtime.functions.values()) {
    const invoke = fn.invoke;
    fn.invoke = (event, requestId) => {
      const http = typeof (event as { routeKey?: unknown } | null)?.routeKey === 'string';
      return http ? scope.run(true, () => invoke(event, requestId)) : invoke(event, requestId);
    };
  }
  return () => scope.getStore() === true;
}

export async function countCallsPerEvent(options: CallsOptions): Promise<CallsFigures> {
  const { progress } = options;
  const runId = randomBytes(3).toString('hex');
  progress.start('DynamoDB calls per event: starting the runtime in this process');
  const runtime = await startRuntime({
    port: 0,
    dynamoEndpoint: options.dynamoEndpoint,
    tablePrefix: options.tablePrefix,
    tokens: options.tokens,
    streamPollIntervalMs: 20,
  });
  progress.done(runtime.url);
  // After startRuntime: the client takes its endpoint and region from the environment it set.
  // Only the calls of the handler serving the measured request (nothing else is sent over HTTP then).
  const counter = countDynamoDbCalls(ddb(), { include: servingHttp(runtime) });
  const detail: Record<string, Record<string, number>> = {};
  const units: Record<string, Units> = {};

  /** Sends one command with nothing else under way and answers the requests the handler sent. */
  const measure = async (label: string, step: Step, expect: { replayed: boolean; late?: boolean; token?: string }): Promise<CallCounts> => {
    progress.update(label);
    // The outbox and any delivery it triggers finish first: only this request's calls are counted.
    await runtime.settle();
    counter.reset();
    const answer = await call(runtime.url, expect.token ?? options.tokens.service, step);
    const counts = counter.counts();
    if (answer.status !== 200) throw new Error(`${label}: ${step.method} ${step.path} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
    if (answer.replayed !== String(expect.replayed)) {
      throw new Error(`${label}: expected idempotent-replayed: ${expect.replayed}, got ${answer.replayed}`);
    }
    if (counts.requests === 0) {
      throw new Error(`${label}: the counter saw no call: the handlers do not use the ddb() client the bench counts on`);
    }
    // A Query of the log means the command landed before entries the log holds: not what is measured here.
    if (!expect.late && counts.byOperation.Query) {
      throw new Error(`${label}: the command read the log (Query): it arrived after a later command, so the bench's sequence is not in business order`);
    }
    if (!expect.replayed && counts.writeUnits === 0) {
      throw new Error(`${label}: DynamoDB reported no write capacity for an applied command: the counter's ReturnConsumedCapacity did not reach the calls`);
    }
    detail[label] = counts.byOperation;
    units[label] = unitsOf(counts);
    return counts;
  };
  const applied = async (label: string, step: Step, token?: string) =>
    (await measure(label, step, { replayed: false, ...(token === undefined ? {} : { token }) })).requests;
  const createdOn = (namespaceId: number, subscriptionId: string, term: { startDate: string; endDate: string; seats: number } = { startDate: '2024-01-01', endDate: '2025-01-01', seats: 10 }): Step => ({
    method: 'POST',
    path: '/v1/subscriptions',
    body: {
      eventId: `calls-${runId}-create-${subscriptionId}`,
      occurredAt: at(dayAfter(term.startDate, -14)),
      subscriptionId,
      namespaceId,
      planCode: 'premium',
      seats: term.seats,
      startDate: term.startDate,
      endDate: term.endDate,
      autoRenew: true,
    },
  });
  // Each command after the last one in business order (created 2024-01-01, renewed 2025-01-01, …).
  const renewal = (subscriptionId: string): Step => ({
    method: 'POST',
    path: `/v1/subscriptions/${subscriptionId}/renewals`,
    body: { eventId: `calls-${runId}-renew-${subscriptionId}`, occurredAt: at('2024-12-15'), startDate: '2025-01-01', endDate: '2026-01-01', seats: 12 },
  });
  const entitlements = (subscriptionId: string, occurredOn: string): Step => ({
    method: 'POST',
    path: `/v1/subscriptions/${subscriptionId}/entitlements`,
    body: { eventId: `calls-${runId}-ent-${subscriptionId}`, occurredAt: at(occurredOn), seats: 20, planCode: 'ultimate' },
  });
  const reconciliation = (subscriptionId: string, occurredOn: string, termStartDate: string): Step => ({
    method: 'POST',
    path: `/v1/subscriptions/${subscriptionId}/reconciliations`,
    body: { eventId: `calls-${runId}-rec-${subscriptionId}`, occurredAt: at(occurredOn), termStartDate, seatsBilled: 2 },
  });
  const expiry = (subscriptionId: string, expiredOn: string): Step => ({
    method: 'POST',
    path: `/v1/subscriptions/${subscriptionId}/expiry`,
    body: { eventId: `calls-${runId}-exp-${subscriptionId}`, occurredAt: at(dayAfter(expiredOn, 1)), expiredOn },
  });
  const usageOn = (namespaceId: number, eventId: string, measuredAt: string, seatsInUse: number): Step => ({
    method: 'PUT',
    path: `/v1/namespaces/${namespaceId}/seat-usage`,
    body: { eventId, occurredAt: measuredAt, seatsInUse, measuredAt },
  });

  let inOrder: InOrderCost | undefined;
  /**
   * A term on a fresh namespace and a report a day for `dailyReports` days, in order; then two
   * reports dated `daysLate` days before the newest: first one above every other (every later
   * entry's peak and seats owed change, so each is written again), then one an hour after it and
   * below the peak (no later entry changes). For each: its calls and capacity, the later entries it
   * folded again (its history entry's `refolded`) and wrote again (its transaction's items beyond
   * the command's own 4).
   */
  const lateReports = async (namespaceId: number, daysLate: number): Promise<{ abovePeak: LateEventCost; belowPeak: LateEventCost }> => {
    const { term, dailyReports } = LATE_EVENT_PLAN;
    const subscriptionId = `calls-${runId}-late-${namespaceId}`;
    progress.update(`a late report: ${dailyReports} daily reports in order on namespace ${namespaceId}`);
    await send(runtime.url, options.tokens.service, createdOn(namespaceId, subscriptionId, term), 'late event, creating its subscription');
    for (let day = 0; day < dailyReports; day++) {
      const step = usageOn(namespaceId, `calls-${runId}-late-${namespaceId}-${day}`, at(dayAfter(term.startDate, day)), 6 + (day % 4));
      if (day < dailyReports - 1 || inOrder) await send(runtime.url, options.tokens.service, step, 'late event, a report in order');
      else {
        // The newest report, the first time: what the same report costs in order, on the same log.
        const counts = await measure('seatUsageReported in order, after the daily reports', step, { replayed: false });
        inOrder = { calls: counts.requests, ...unitsOf(counts) };
      }
    }
    const lateOn = dayAfter(term.startDate, dailyReports - 1 - daysLate);
    const late = async (time: string, seatsInUse: number, which: string): Promise<LateEventCost> => {
      const eventId = `calls-${runId}-late-${namespaceId}-${which}`;
      const label = `seatUsageReported ${daysLate} day${daysLate === 1 ? '' : 's'} late, ${which.replace('-', ' ')}`;
      const counts = await measure(label, usageOn(namespaceId, eventId, at(lateOn, time), seatsInUse), { replayed: false, late: true });
      const history = await fetch(`${runtime.url}/v1/subscriptions/${subscriptionId}/history?limit=1`, { headers: { authorization: `Bearer ${options.tokens.service}` } });
      const page = (await history.json()) as { items?: Array<{ eventId: string; refolded?: number }> };
      const entry = page.items?.[0];
      if (history.status !== 200 || entry?.eventId !== eventId) throw new Error(`${label}: its history entry was not the newest (${history.status}: ${JSON.stringify(page).slice(0, 300)})`);
      // Every later report is one entry after its place: the bench measures what it says it does.
      if (entry.refolded !== daysLate) throw new Error(`${label}: ${daysLate} later entries should have been folded again, the history says ${entry.refolded ?? 'none (not late)'}`);
      if (!counts.byOperation.Query) throw new Error(`${label}: the late report did not read the log`);
      const rewritten = counts.transactItems - COMMAND_ITEMS;
      if (rewritten < 0) throw new Error(`${label}: its transaction held ${counts.transactItems} items, fewer than a command's ${COMMAND_ITEMS}`);
      return { daysLate, laterEntries: daysLate, calls: counts.requests, byOperation: counts.byOperation, ...unitsOf(counts), refolded: entry.refolded, rewritten };
    };
    return { abovePeak: await late('15:00:00', term.seats + 2, 'above-peak'), belowPeak: await late('16:00:00', 5, 'below-peak') };
  };

  try {
    progress.start('DynamoDB calls per event');
    const sub = `calls-${runId}-warm`;
    const usage = usageOn(11, `calls-${runId}-usage`, at('2025-04-01'), 14);
    const perEvent: Record<EventKind, number> = {
      created: await applied('created', createdOn(11, sub)),
      renewed: await applied('renewed', renewal(sub)),
      entitlementsUpdated: await applied('entitlementsUpdated', entitlements(sub, '2025-03-01')),
      seatUsageReported: await applied('seatUsageReported', usage),
      replay: (await measure('replay', usage, { replayed: true })).requests,
      reconciliationCompleted: await applied('reconciliationCompleted', reconciliation(sub, '2025-07-01', '2025-01-01')),
      expired: await applied('expired', expiry(sub, '2026-01-01')),
      // An operator's correction takes its place at the time it is applied: after everything else.
      seatStatisticsCorrected: await applied(
        'seatStatisticsCorrected',
        {
          method: 'POST',
          path: '/v1/namespaces/11/seat-statistics/corrections',
          body: { eventId: `calls-${runId}-correction`, termStartDate: '2025-01-01', maxSeatsUsed: 12, reason: 'wrong_measurement', note: 'Bench: a measurement counted twice' },
        },
        options.tokens.operator,
      ),
      trialStarted: await applied('trialStarted', {
        method: 'POST',
        path: '/v1/namespaces/12/trials',
        body: { eventId: `calls-${runId}-trial`, occurredAt: at('2026-02-01'), planCode: 'ultimate_trial', trialStartsOn: '2026-02-01', trialEndsOn: '2026-03-01' },
      }),
      trialExtended: await applied('trialExtended', {
        method: 'POST',
        path: '/v1/namespaces/12/trials/extensions',
        body: { eventId: `calls-${runId}-trial-ext`, occurredAt: at('2026-02-20'), trialEndsOn: '2026-03-15' },
      }),
      trialEnded: await applied('trialEnded', {
        method: 'POST',
        path: '/v1/namespaces/12/trials/end',
        body: { eventId: `calls-${runId}-trial-end`, occurredAt: at('2026-03-15'), endedOn: '2026-03-15' },
      }),
    };

    // Subscriptions created by another process: this one has never seen them (in Lambda, each
    // command has a function of its own). No process keeps anything of a subscription: the
    // pointer's copy of the state is what lets these cost what the warm ones do.
    const elsewhere = { renewed: `calls-${runId}-b`, entitlementsUpdated: `calls-${runId}-c`, reconciliationCompleted: `calls-${runId}-e`, expired: `calls-${runId}-d` };
    for (const [i, subscriptionId] of Object.values(elsewhere).entries()) {
      await send(options.elsewhere.url, options.tokens.service, createdOn(13 + i, subscriptionId), `creating ${subscriptionId} in the runtime process`);
    }
    const firstSeen: Record<SubscriptionAddressed, number> = {
      renewed: await applied('renewed (first seen)', renewal(elsewhere.renewed)),
      entitlementsUpdated: await applied('entitlementsUpdated (first seen)', entitlements(elsewhere.entitlementsUpdated, '2024-06-01')),
      reconciliationCompleted: await applied('reconciliationCompleted (first seen)', reconciliation(elsewhere.reconciliationCompleted, '2024-07-01', '2024-01-01')),
      expired: await applied('expired (first seen)', expiry(elsewhere.expired, '2025-01-01')),
    };
    progress.done(`${Object.values(perEvent).join(' ')} (first seen: ${Object.values(firstSeen).join(' ')})`);

    const { delays, dailyReports } = LATE_EVENT_PLAN;
    progress.start(`what a late seat-usage report costs (${dailyReports} daily reports in order on each of 2 namespaces, then two late)`);
    const day = await lateReports(21, delays.day);
    const month = await lateReports(22, delays.month);
    const late: LateEventCosts = { dailyReports, inOrder: inOrder!, day: day.abovePeak, month: month.abovePeak, belowPeak: { day: day.belowPeak, month: month.belowPeak } };
    // Publish what the outbox holds while the runtime can still take the events.
    await runtime.settle();
    progress.done(`a day late: ${late.day.calls} calls, ${late.day.writeUnits} WCU; a month late: ${late.month.calls} calls, ${late.month.writeUnits} WCU`);
    progress.start('the error-log writer per reported failure');
    const errorLogWriter = await countErrorLogWriterCalls(runtime);
    progress.done(Object.entries(errorLogWriter).map(([kind, cost]) => `${kind} ${cost.calls}`).join(', '));
    return { perEvent, firstSeen, detail, units, late, errorLogWriter };
  } finally {
    counter.detach();
    await runtime.stop();
  }
}
