/**
 * DynamoDB calls and capacity per event: the local runtime runs each function isolated, as Lambda
 * does, and its IAM gate sees every call a function makes (bench/count-calls.ts countGateCalls);
 * each command goes through the HTTP API as a caller sends it and only the calls of the function
 * serving it are counted. Every command is measured twice: in a fresh environment of its function
 * (cold: nothing a warm container could have kept) and again, on another namespace, warm. Every command is dated in the past and sent in business order (shared/lifecycle/domain/
 * log.ts), so each is applied to the current state; then what a late one costs: a seat-usage report
 * a day and a month older than the newest of a namespace's daily reports.
 */
import { randomBytes } from 'node:crypto';
import { IsolatedFunction } from '../local/functions.js';
import { buildRouter } from '../local/http-server.js';
import { startRuntime } from '../local/runtime.js';
import { countGateCalls } from './count-calls.js';
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
  /** Another process serving the same tables (the runtime child); not needed: every function is isolated. */
  elsewhere?: { url: string };
  progress: Progress;
}

export interface CallsFigures {
  perEvent: Record<EventKind, number>;
  /** Each command in a fresh environment of its function (nothing kept from an earlier invocation). */
  cold: Record<EventKind, number>;
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

export async function countCallsPerEvent(options: CallsOptions): Promise<CallsFigures> {
  const { progress } = options;
  const runId = randomBytes(3).toString('hex');
  progress.start('DynamoDB calls per event: starting the runtime (each function isolated)');
  const runtime = await startRuntime({
    port: 0,
    dynamoEndpoint: options.dynamoEndpoint,
    tablePrefix: options.tablePrefix,
    tokens: options.tokens,
    streamPollIntervalMs: 20,
  });
  progress.done(runtime.url);
  // Only the calls of the function serving the measured request: the outbox publishing what the
  // command wrote, or a bus delivery, are other functions (in AWS other Lambdas), not its cost.
  const router = buildRouter(runtime.functions);
  let serving = '';
  const counter = countGateCalls(runtime.iam, (fn) => fn === serving);
  const detail: Record<string, Record<string, number>> = {};
  const units: Record<string, Units> = {};

  /** Sends one command with nothing else under way and answers the requests the handler sent. */
  const measure = async (label: string, step: Step, expect: { replayed: boolean; late?: boolean; token?: string; cold?: boolean }): Promise<CallCounts> => {
    progress.update(label);
    // The outbox and any delivery it triggers finish first: only this request's calls are counted.
    await runtime.settle();
    const route = router.match(step.method, step.path.split('?')[0]!);
    if (!route) throw new Error(`${label}: no route ${step.method} ${step.path}`);
    serving = route.route.target.fn.spec.name;
    // Cold: the function's warm environments are stopped, so this command starts a fresh one.
    if (expect.cold) await (route.route.target.fn as IsolatedFunction).coolDown();
    counter.reset();
    const answer = await call(runtime.url, expect.token ?? options.tokens.service, step);
    const counts = counter.counts();
    if (answer.status !== 200) throw new Error(`${label}: ${step.method} ${step.path} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
    if (answer.replayed !== String(expect.replayed)) {
      throw new Error(`${label}: expected idempotent-replayed: ${expect.replayed}, got ${answer.replayed}`);
    }
    if (counts.requests === 0) {
      throw new Error(`${label}: the counter saw no call of ${serving}: its DynamoDB calls do not go through the runtime's IAM gate`);
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
  const applied = async (label: string, step: Step, token?: string, cold = false) =>
    (await measure(label, step, { replayed: false, cold, ...(token === undefined ? {} : { token }) })).requests;
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
    /**
     * Every command once, in business order, on namespaces `ns` and `ns + 1` and subscription
     * `pass`: cold (each function's warm environments stopped first) or warm (after the cold pass
     * every function has one). A subscription-addressed command never runs in the function that
     * created the subscription: in both passes it is first seen by its own function.
     */
    const sequence = async (pass: 'cold' | 'warm', ns: number): Promise<Record<EventKind, number>> => {
      const cold = pass === 'cold';
      const sub = `calls-${runId}-${pass}`;
      const id = (what: string) => `calls-${runId}-${pass}-${what}`;
      const label = (kind: string) => (cold ? `${kind} (cold)` : kind);
      const usage = usageOn(ns, id('usage'), at('2025-04-01'), 14);
      const create = createdOn(ns, sub);
      create.body.eventId = id('create');
      const step = (kind: string, built: Step): Step => ({ ...built, body: { ...built.body, eventId: id(kind) } });
      return {
        created: await applied(label('created'), create, undefined, cold),
        renewed: await applied(label('renewed'), step('renew', renewal(sub)), undefined, cold),
        entitlementsUpdated: await applied(label('entitlementsUpdated'), step('ent', entitlements(sub, '2025-03-01')), undefined, cold),
        seatUsageReported: await applied(label('seatUsageReported'), usage, undefined, cold),
        replay: (await measure(label('replay'), usage, { replayed: true, cold })).requests,
        reconciliationCompleted: await applied(label('reconciliationCompleted'), step('rec', reconciliation(sub, '2025-07-01', '2025-01-01')), undefined, cold),
        expired: await applied(label('expired'), step('exp', expiry(sub, '2026-01-01')), undefined, cold),
        // An operator's correction takes its place at the time it is applied: after everything else.
        seatStatisticsCorrected: await applied(
          label('seatStatisticsCorrected'),
          {
            method: 'POST',
            path: `/v1/namespaces/${ns}/seat-statistics/corrections`,
            body: { eventId: id('correction'), termStartDate: '2025-01-01', maxSeatsUsed: 12, reason: 'wrong_measurement', note: 'Bench: a measurement counted twice' },
          },
          options.tokens.operator,
          cold,
        ),
        trialStarted: await applied(
          label('trialStarted'),
          { method: 'POST', path: `/v1/namespaces/${ns + 1}/trials`, body: { eventId: id('trial'), occurredAt: at('2026-02-01'), planCode: 'ultimate_trial', trialStartsOn: '2026-02-01', trialEndsOn: '2026-03-01' } },
          undefined,
          cold,
        ),
        trialExtended: await applied(
          label('trialExtended'),
          { method: 'POST', path: `/v1/namespaces/${ns + 1}/trials/extensions`, body: { eventId: id('trial-ext'), occurredAt: at('2026-02-20'), trialEndsOn: '2026-03-15' } },
          undefined,
          cold,
        ),
        trialEnded: await applied(
          label('trialEnded'),
          { method: 'POST', path: `/v1/namespaces/${ns + 1}/trials/end`, body: { eventId: id('trial-end'), occurredAt: at('2026-03-15'), endedOn: '2026-03-15' } },
          undefined,
          cold,
        ),
      };
    };
    const cold = await sequence('cold', 11);
    const perEvent = await sequence('warm', 13);
    // The first command for a subscription, in a function that never saw it: the cold figures.
    const firstSeen: Record<SubscriptionAddressed, number> = {
      renewed: cold.renewed,
      entitlementsUpdated: cold.entitlementsUpdated,
      reconciliationCompleted: cold.reconciliationCompleted,
      expired: cold.expired,
    };
    progress.done(`warm ${Object.values(perEvent).join(' ')}; cold ${Object.values(cold).join(' ')}`);

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
    return { perEvent, cold, firstSeen, detail, units, late, errorLogWriter };
  } finally {
    counter.detach();
    await runtime.stop();
  }
}
