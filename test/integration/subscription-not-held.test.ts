/**
 * Issue 17: a renewal for a subscription whose namespace now holds another one. S expired on
 * namespace N and S2 was created there afterwards; S's pointer still names N. A renewal of S must
 * not be applied to N (it would renew S2's namespace with S's term) and must not be dropped either:
 * over HTTP it is `409 subscription_not_held`, and on the bus a failure that reaches the error log
 * with the event as evidence, so someone learns the customer was not provisioned.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import type { NamespaceState } from '../../shared/lifecycle/domain/types.js';
import { client, eventId, startTestRuntime, busClient } from './helpers.js';
import type { Client } from './helpers.js';

let runtime: Runtime;
let api: Client;
let operator: Client;
let events: EventBridgeClient;
let nextNamespace = 17_000;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  runtime = await startTestRuntime();
  api = client(runtime);
  operator = client(runtime, 'operator');
  events = busClient(runtime);
});

afterAll(async () => {
  events?.destroy();
  await runtime?.stop();
});

/** S on N, 2025-01-01 → 2026-01-01, expired on 2025-06-01; then S2 created on N from 2025-07-01. */
async function namespaceNowHoldingAnother() {
  const namespaceId = nextNamespace++;
  const s = `NH-${namespaceId}-S`;
  const s2 = `NH-${namespaceId}-S2`;
  const created = await api.call('POST', '/v1/subscriptions', {
    eventId: eventId('create'), occurredAt: '2025-01-01T08:00:00Z', subscriptionId: s, namespaceId, planCode: 'premium',
    seats: 10, startDate: '2025-01-01', endDate: '2026-01-01', autoRenew: false,
  });
  expect(created.status).toBe(200);
  const expired = await api.call('POST', `/v1/subscriptions/${s}/expiry`, { eventId: eventId('expire'), occurredAt: '2025-06-01T12:00:00Z', expiredOn: '2025-06-01' });
  expect(expired.status).toBe(200);
  const second = await api.call('POST', '/v1/subscriptions', {
    eventId: eventId('create'), occurredAt: '2025-07-01T08:00:00Z', subscriptionId: s2, namespaceId, planCode: 'ultimate',
    seats: 25, startDate: '2025-07-01', endDate: '2026-07-01', autoRenew: true,
  });
  expect(second.status).toBe(200);
  // S's pointer still names N, which holds S2.
  expect((await api.call('GET', `/v1/subscriptions/${s}`)).body).toMatchObject({ subscriptionId: s, namespaceId });
  const state = (await api.call('GET', `/v1/namespaces/${namespaceId}/subscription`)).body as NamespaceState;
  expect(state).toMatchObject({ subscriptionId: s2, status: 'active', planCode: 'ultimate', seats: 25 });
  return { namespaceId, s, s2, state };
}

const renewal = (occurredAt = '2025-12-20T09:00:00Z') => ({ eventId: eventId('renew'), occurredAt, startDate: '2026-01-01', endDate: '2027-01-01', seats: 12 });

describe('A renewal for a subscription whose namespace now holds another one', () => {
  it('is 409 subscription_not_held over HTTP, saying which subscription the namespace holds; nothing is written', async () => {
    const { namespaceId, s, s2, state } = await namespaceNowHoldingAnother();

    const dry = await api.call('POST', `/v1/subscriptions/${s}/renewals?dryRun=true`, renewal());
    expect(dry.status).toBe(409);
    expect(dry.body.error.code).toBe('subscription_not_held');
    const res = await api.call('POST', `/v1/subscriptions/${s}/renewals`, renewal());
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('subscription_not_held');
    expect(res.body.error.message).toContain(`Subscription ${s} points at namespace ${namespaceId}, which now holds subscription ${s2}`);

    expect((await api.call('GET', `/v1/namespaces/${namespaceId}/subscription`)).body).toEqual(state);
    const history = await api.call('GET', `/v1/subscriptions/${s2}/history?limit=100`);
    expect(history.body.items.every((entry: { type: string }) => entry.type !== 'renewed')).toBe(true);
  });

  it('on the bus: a failure after every attempt, in the error log with the event as evidence; the namespace is unchanged', async () => {
    const { namespaceId, s, s2, state } = await namespaceNowHoldingAnother();
    const detail = { ...renewal(), subscriptionId: s };

    const out = await events.send(new PutEventsCommand({ Entries: [{ EventBusName: 'provisioning', Source: 'customers-portal', DetailType: 'Subscription Renewed', Detail: JSON.stringify(detail) }] }));
    expect(out.FailedEntryCount).toBe(0);
    await runtime.bus.drain();

    expect((await api.call('GET', `/v1/namespaces/${namespaceId}/subscription`)).body).toEqual(state);
    const list = await operator.call('GET', '/v1/errors?limit=100');
    expect(list.status).toBe(200);
    const records = (list.body.items as Array<{ id: string; subject: string; errorType: string }>).filter(
      (r) => r.subject.includes('Subscription Renewed') && r.errorType === 'CommandRejectedError',
    );
    expect(records).toHaveLength(1);
    const record = await operator.call('GET', `/v1/errors/${records[0]!.id}`);
    expect(record.status).toBe(200);
    expect(record.body).toMatchObject({
      source: 'async',
      code: 'async_handler_failed',
      errorType: 'CommandRejectedError',
      status: 'open',
      occurrences: 1,
    });
    expect(record.body.message).toContain(`which now holds subscription ${s2}`);
    expect(record.body.payload).toMatchObject({
      function: 'ProvisioningService-subscription-renewed',
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
      event: { source: 'customers-portal', 'detail-type': 'Subscription Renewed', detail },
    });

    // Another renewal of S, later: the same record counts it (one fingerprint per failing handler and error type).
    const again = { ...renewal('2025-12-21T09:00:00Z'), subscriptionId: s };
    await events.send(new PutEventsCommand({ Entries: [{ EventBusName: 'provisioning', Source: 'customers-portal', DetailType: 'Subscription Renewed', Detail: JSON.stringify(again) }] }));
    await runtime.bus.drain();
    expect((await operator.call('GET', `/v1/errors/${records[0]!.id}`)).body.occurrences).toBe(2);
    expect((await api.call('GET', `/v1/namespaces/${namespaceId}/subscription`)).body).toEqual(state);
  });
});
