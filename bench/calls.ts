/**
 * DynamoDB calls per event: the local runtime runs in this process, the counter sits on the very
 * client the handlers use (`ddb()`), and each command goes through the HTTP API as a caller sends it.
 */
import { randomBytes } from 'node:crypto';
import { startRuntime } from '../local/runtime.js';
import { ddb } from '../shared/platform/dynamodb/client.js';
import { countDynamoDbCalls } from './count-calls.js';
import type { Progress } from './progress.js';
import type { EventKind, SubscriptionAddressed } from './results.js';

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
  detail: Record<string, Record<string, number>>;
}

interface Step {
  method: 'POST' | 'PUT';
  path: string;
  body: Record<string, unknown>;
}

const at = (day: string) => `${day}T10:00:00Z`;

async function call(base: string, token: string, step: Step): Promise<{ status: number; replayed: string | null; text: string }> {
  const response = await fetch(`${base}${step.path}`, {
    method: step.method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(step.body),
  });
  return { status: response.status, replayed: response.headers.get('idempotent-replayed'), text: await response.text() };
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
  const counter = countDynamoDbCalls(ddb());
  const detail: Record<string, Record<string, number>> = {};

  /** Sends one command with nothing else under way and answers the requests the handler sent. */
  const measure = async (label: string, step: Step, expect: { replayed: boolean }): Promise<number> => {
    progress.update(label);
    // The outbox and any delivery it triggers finish first: only this request's calls are counted.
    await runtime.settle();
    counter.reset();
    const answer = await call(runtime.url, options.tokens.service, step);
    const counts = counter.counts();
    if (answer.status !== 200) throw new Error(`${label}: ${step.method} ${step.path} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
    if (answer.replayed !== String(expect.replayed)) {
      throw new Error(`${label}: expected idempotent-replayed: ${expect.replayed}, got ${answer.replayed}`);
    }
    if (counts.requests === 0) {
      throw new Error(`${label}: the counter saw no call: the handlers do not use the ddb() client the bench counts on`);
    }
    detail[label] = counts.byOperation;
    return counts.requests;
  };
  const applied = (label: string, step: Step) => measure(label, step, { replayed: false });
  const createdOn = (namespaceId: number, subscriptionId: string): Step => ({
    method: 'POST',
    path: '/v1/subscriptions',
    body: {
      eventId: `calls-${runId}-create-${subscriptionId}`,
      occurredAt: at('2026-01-01'),
      subscriptionId,
      namespaceId,
      planCode: 'premium',
      seats: 10,
      startDate: '2026-01-01',
      endDate: '2027-01-01',
      autoRenew: true,
    },
  });
  const renewal = (subscriptionId: string): Step => ({
    method: 'POST',
    path: `/v1/subscriptions/${subscriptionId}/renewals`,
    body: { eventId: `calls-${runId}-renew-${subscriptionId}`, occurredAt: at('2027-01-01'), startDate: '2027-01-01', endDate: '2028-01-01', seats: 12 },
  });
  const entitlements = (subscriptionId: string): Step => ({
    method: 'POST',
    path: `/v1/subscriptions/${subscriptionId}/entitlements`,
    body: { eventId: `calls-${runId}-ent-${subscriptionId}`, occurredAt: at('2026-06-01'), seats: 20, planCode: 'ultimate' },
  });
  const expiry = (subscriptionId: string): Step => ({
    method: 'POST',
    path: `/v1/subscriptions/${subscriptionId}/expiry`,
    body: { eventId: `calls-${runId}-exp-${subscriptionId}`, occurredAt: at('2028-01-02'), expiredOn: '2028-01-01' },
  });

  try {
    progress.start('DynamoDB calls per event');
    const sub = `calls-${runId}-warm`;
    const usage: Step = {
      method: 'PUT',
      path: '/v1/namespaces/11/seat-usage',
      body: { eventId: `calls-${runId}-usage`, occurredAt: at('2027-03-01'), seatsInUse: 14, measuredAt: at('2027-03-01') },
    };
    const perEvent: Record<EventKind, number> = {
      created: await applied('created', createdOn(11, sub)),
      renewed: await applied('renewed', renewal(sub)),
      entitlementsUpdated: await applied('entitlementsUpdated', entitlements(sub)),
      seatUsageReported: await applied('seatUsageReported', usage),
      replay: await measure('replay', usage, { replayed: true }),
      expired: await applied('expired', expiry(sub)),
      trialStarted: await applied('trialStarted', {
        method: 'POST',
        path: '/v1/namespaces/12/trials',
        body: { eventId: `calls-${runId}-trial`, occurredAt: at('2026-02-01'), planCode: 'ultimate_trial', trialStartsOn: '2026-02-01', trialEndsOn: '2026-03-01' },
      }),
      trialEnded: await applied('trialEnded', {
        method: 'POST',
        path: '/v1/namespaces/12/trials/end',
        body: { eventId: `calls-${runId}-trial-end`, occurredAt: at('2026-03-01'), endedOn: '2026-03-01' },
      }),
    };

    // Subscriptions created by another process: this one has never seen them (in Lambda, each
    // command has a function of its own, so this is the usual case there).
    const elsewhere = { renewed: `calls-${runId}-b`, entitlementsUpdated: `calls-${runId}-c`, expired: `calls-${runId}-d` };
    for (const [i, subscriptionId] of Object.values(elsewhere).entries()) {
      const answer = await call(options.elsewhere.url, options.tokens.service, createdOn(13 + i, subscriptionId));
      if (answer.status !== 200) throw new Error(`creating ${subscriptionId} in the runtime process answered ${answer.status}: ${answer.text.slice(0, 300)}`);
    }
    const firstSeen: Record<SubscriptionAddressed, number> = {
      renewed: await applied('renewed (first seen)', renewal(elsewhere.renewed)),
      entitlementsUpdated: await applied('entitlementsUpdated (first seen)', entitlements(elsewhere.entitlementsUpdated)),
      expired: await applied('expired (first seen)', expiry(elsewhere.expired)),
    };
    // Publish what the outbox holds while the runtime can still take the events.
    await runtime.settle();
    progress.done(`${Object.values(perEvent).join(' ')} (first seen: ${Object.values(firstSeen).join(' ')})`);
    return { perEvent, firstSeen, detail };
  } finally {
    counter.detach();
    await runtime.stop();
  }
}
