import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { client, eventId, startTestRuntime, busClient } from './helpers.js';
import type { Client } from './helpers.js';

let runtime: Runtime;
let api: Client;
let nextNamespace = 1000;

beforeAll(async () => {
  runtime = await startTestRuntime();
  api = client(runtime);
});

afterAll(async () => {
  await runtime?.stop();
});

const at = (day: string, time = '10:00:00') => `${day}T${time}Z`;

async function createSubscription(namespaceId: number, subscriptionId: string, seats = 10, startDate = '2026-01-01') {
  const res = await api.call('POST', '/v1/subscriptions', {
    eventId: eventId('create'),
    occurredAt: at(startDate),
    subscriptionId,
    namespaceId,
    planCode: 'premium',
    seats,
    startDate,
    endDate: '2027-01-01',
    autoRenew: true,
  });
  expect(res.status).toBe(200);
  return res.body;
}

const report = (namespaceId: number, seatsInUse: number, measuredAt: string, id = eventId('usage')) =>
  api.call('PUT', `/v1/namespaces/${namespaceId}/seat-usage`, { eventId: id, occurredAt: measuredAt, seatsInUse, measuredAt });

describe('Lifecycle over HTTP', () => {
  it('renewing with fewer seats never bills the old term peak (the issue example)', async () => {
    const ns = nextNamespace++;
    await createSubscription(ns, `sub-${ns}`, 10);
    expect((await report(ns, 14, at('2026-03-01'))).body).toMatchObject({ seatsInUse: 14, maxSeatsUsed: 14, seatsOwed: 4 });
    expect((await report(ns, 3, at('2026-06-01'))).body).toMatchObject({ seatsInUse: 3, maxSeatsUsed: 14, seatsOwed: 4 });
    // Renewed early (sent before its term starts): the peak starts again from the seats in use.
    const renewed = await api.call('POST', `/v1/subscriptions/sub-${ns}/renewals`, {
      eventId: eventId('renew'),
      occurredAt: at('2026-06-02'),
      startDate: '2027-01-01',
      endDate: '2028-01-01',
      seats: 5,
    });
    expect(renewed.status).toBe(200);
    expect(renewed.body).toMatchObject({ seats: 5, maxSeatsUsed: 3, seatsOwed: 0, startDate: '2027-01-01', status: 'active' });
    // The old term is kept with its peak and what it owes, for reconciliation.
    expect(renewed.body.previousTerm).toMatchObject({ startDate: '2026-01-01', seats: 10, maxSeatsUsed: 14, seatsOwed: 4 });

    const history = await api.call('GET', `/v1/subscriptions/sub-${ns}/history`);
    expect(history.status).toBe(200);
    expect(history.body.items.map((e: { type: string }) => e.type)).toEqual(['renewed', 'seatUsageReported', 'seatUsageReported', 'created']);
    const [renewal] = history.body.items;
    expect(renewal.before).toMatchObject({ maxSeatsUsed: 14, seatsOwed: 4 });
    expect(renewal.after).toMatchObject({ maxSeatsUsed: 3, seatsOwed: 0 });
    expect(renewal.actor).toBe('arn:aws:iam::000000000000:user/local-service');

    const state = await api.call('GET', `/v1/namespaces/${ns}/subscription`);
    expect(state.body).toEqual(renewed.body);
    const sub = await api.call('GET', `/v1/subscriptions/sub-${ns}`);
    expect(sub.body).toMatchObject({ subscriptionId: `sub-${ns}`, namespaceId: ns, state: renewed.body });
  });

  it('converts a trial with a paid created, and ends a trial back to free', async () => {
    const ns = nextNamespace++;
    const trial = await api.call('POST', `/v1/namespaces/${ns}/trials`, {
      eventId: eventId('trial'), occurredAt: at('2026-02-01'), planCode: 'ultimate_trial', trialStartsOn: '2026-02-01', trialEndsOn: '2026-03-01',
    });
    expect(trial.body).toMatchObject({ trial: true, planCode: 'ultimate_trial', seatsOwed: 0 });
    await report(ns, 30, at('2026-02-10'));
    // A paid term starting during the trial converts it: the trial's last day is the day before.
    const converted = await createSubscription(ns, `sub-${ns}`, 20, '2026-02-15');
    expect(converted).toMatchObject({ trial: false, trialStartsOn: '2026-02-01', trialEndsOn: '2026-02-14', planCode: 'premium', maxSeatsUsed: 30, seatsOwed: 10 });

    const other = nextNamespace++;
    await api.call('POST', `/v1/namespaces/${other}/trials`, {
      eventId: eventId('trial'), occurredAt: at('2026-02-01'), planCode: 'ultimate_trial', trialStartsOn: '2026-02-01', trialEndsOn: '2026-03-01',
    });
    const ended = await api.call('POST', `/v1/namespaces/${other}/trials/end`, { eventId: eventId('end'), occurredAt: at('2026-03-01'), endedOn: '2026-03-01' });
    expect(ended.body).toMatchObject({ trial: false, planCode: 'free', seatsOwed: 0, trialStartsOn: '2026-02-01', trialEndsOn: '2026-03-01' });
  });

  it('keeps the peak on entitlements and clears what is owed on expiry', async () => {
    const ns = nextNamespace++;
    await createSubscription(ns, `sub-${ns}`, 10);
    await report(ns, 15, at('2026-04-01'));
    const more = await api.call('POST', `/v1/subscriptions/sub-${ns}/entitlements`, { eventId: eventId('ent'), occurredAt: at('2026-04-02'), seats: 12 });
    expect(more.body).toMatchObject({ seats: 12, maxSeatsUsed: 15, seatsOwed: 3 });
    const expired = await api.call('POST', `/v1/subscriptions/sub-${ns}/expiry`, { eventId: eventId('exp'), occurredAt: at('2026-09-01'), expiredOn: '2026-09-01' });
    expect(expired.body).toMatchObject({ status: 'expired', expiredOn: '2026-09-01', planCode: 'free', seatsOwed: 0, maxSeatsUsed: 15 });
  });

  it('applies an event once: a replay answers the stored result, another body is a conflict', async () => {
    const ns = nextNamespace++;
    const id = eventId('once');
    const first = await report(ns, 7, at('2026-05-01'), id);
    const again = await report(ns, 7, at('2026-05-01'), id);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const other = await report(ns, 8, at('2026-05-01'), id);
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_conflict');
    expect((await api.call('GET', `/v1/namespaces/${ns}/subscription`)).body.version).toBe(1);
  });

  it('puts an older measurement where it belongs; refuses an old renewal at its place (409 stale_event, kept in history)', async () => {
    const ns = nextNamespace++;
    await createSubscription(ns, `sub-${ns}`);
    await report(ns, 5, at('2026-05-02'));
    const older = await report(ns, 12, at('2026-05-01'));
    expect(older.status).toBe(200);
    expect(older.body).toMatchObject({ seatsInUse: 5, maxSeatsUsed: 12, seatsOwed: 2, version: 3 });
    const staleRenewal = await api.call('POST', `/v1/subscriptions/sub-${ns}/renewals`, {
      eventId: eventId('renew'), occurredAt: at('2026-06-01'), startDate: '2026-01-01', endDate: '2027-01-01',
    });
    expect(staleRenewal.status).toBe(409);
    expect(staleRenewal.body.error.code).toBe('stale_event');
    expect((await api.call('GET', `/v1/namespaces/${ns}/subscription`)).body).toMatchObject({ seatsInUse: 5, maxSeatsUsed: 12, startDate: '2026-01-01' });
    const [refused] = (await api.call('GET', `/v1/subscriptions/sub-${ns}/history`)).body.items;
    expect(refused).toMatchObject({ type: 'renewed', outcome: 'refused', changed: false, rejection: { code: 'stale_event' } });
  });

  it('records a command older than the log keeps as stale in the history, and applies nothing', async () => {
    const ns = nextNamespace++;
    await createSubscription(ns, `sub-${ns}`, 10, '2024-01-01');
    for (const [start, end] of [['2025-01-01', '2026-01-01'], ['2026-01-01', '2027-01-01']]) {
      const renewed = await api.call('POST', `/v1/subscriptions/sub-${ns}/renewals`, { eventId: eventId('renew'), occurredAt: at(start!), startDate: start, endDate: end });
      expect(renewed.status).toBe(200);
    }
    const before = (await api.call('GET', `/v1/namespaces/${ns}/subscription`)).body;
    // Two terms back: it can change neither the current nor the previous term.
    const stale = await report(ns, 40, at('2024-06-01'));
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'stale_event', message: expect.stringContaining("dated before what the namespace's log keeps") });
    expect((await api.call('GET', `/v1/namespaces/${ns}/subscription`)).body).toEqual(before);
    const history = (await api.call('GET', `/v1/subscriptions/sub-${ns}/history`)).body.items;
    expect(history.find((e: { outcome?: string }) => e.outcome === 'stale')).toMatchObject({ type: 'seatUsageReported', changed: false, rejection: { code: 'stale_event' } });
  });

  it('refuses an instant after the service clock as invalid input (400 naming the field), writing nothing', async () => {
    const ns = nextNamespace++;
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const res = await report(ns, 5, future);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(['occurredAt', 'measuredAt']);
    expect((await api.call('GET', `/v1/namespaces/${ns}/subscription`)).status).toBe(404);
  });

  it('answers dates that contradict each other with 400 validation_failed naming them, and writes nothing', async () => {
    const ns = nextNamespace++;
    const created = await api.call('POST', '/v1/subscriptions', {
      eventId: eventId('create'), occurredAt: at('2026-01-01'), subscriptionId: `sub-${ns}`, namespaceId: ns, planCode: 'premium', seats: 5,
      startDate: '2026-06-01', endDate: '2026-06-01',
    });
    expect(created.status).toBe(400);
    expect(created.body.error).toMatchObject({ code: 'validation_failed', details: [{ field: 'endDate', message: 'endDate must be after startDate' }] });
    expect((await api.call('GET', `/v1/namespaces/${ns}/subscription`)).status).toBe(404);

    const trial = await api.call('POST', `/v1/namespaces/${ns}/trials`, {
      eventId: eventId('trial'), occurredAt: at('2026-02-01'), planCode: 'ultimate_trial', trialStartsOn: '2026-03-01', trialEndsOn: '2026-02-01',
    });
    expect(trial.status).toBe(400);
    expect(trial.body.error.code).toBe('validation_failed');
    expect(trial.body.error.details.map((d: { field: string }) => d.field)).toEqual(['trialEndsOn']);

    await createSubscription(ns, `sub-${ns}`);
    const renewal = await api.call('POST', `/v1/subscriptions/sub-${ns}/renewals`, {
      eventId: eventId('renew'), occurredAt: at('2026-06-01'), startDate: '2027-01-01', endDate: '2026-12-31',
    });
    expect(renewal.status).toBe(400);
    expect(renewal.body.error.details.map((d: { field: string }) => d.field)).toEqual(['endDate']);
    expect((await api.call('GET', `/v1/namespaces/${ns}/subscription`)).body).toMatchObject({ endDate: '2027-01-01', version: 1 });
  });

  it('answers a dry run with the state it would produce and writes nothing', async () => {
    const ns = nextNamespace++;
    await createSubscription(ns, `sub-${ns}`, 10);
    const dry = await api.call('PUT', `/v1/namespaces/${ns}/seat-usage?dryRun=true`, { eventId: eventId('dry'), occurredAt: at('2026-05-01'), seatsInUse: 12, measuredAt: at('2026-05-01') });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ seatsInUse: 12, seatsOwed: 2, version: 2 });
    const now = await api.call('GET', `/v1/namespaces/${ns}/subscription`);
    expect(now.body).toMatchObject({ seatsInUse: 0, version: 1 });
  });

  it('answers errors with the error contract', async () => {
    const unknown = await api.call('POST', '/v1/subscriptions/nope/renewals', { eventId: eventId(), occurredAt: at('2026-01-01'), startDate: '2026-01-01', endDate: '2027-01-01' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');

    const invalid = await api.call('PUT', '/v1/namespaces/1/seat-usage', { eventId: '', seatsInUse: -1, measuredAt: 'yesterday', extra: 1 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('validation_failed');
    expect(invalid.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['eventId', 'extra', 'measuredAt', 'occurredAt', 'seatsInUse']);

    const malformed = await api.call('PUT', '/v1/namespaces/1/seat-usage', '{"eventId": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('malformed_json');

    const badPath = await api.call('PUT', '/v1/namespaces/abc/seat-usage', { eventId: 'x', occurredAt: at('2026-01-01'), seatsInUse: 1, measuredAt: at('2026-01-01') });
    expect(badPath.status).toBe(400);
    expect(badPath.body.error.details[0].field).toBe('namespaceId');

    expect((await api.call('GET', '/v1/namespaces/1/subscription', undefined, { token: null })).status).toBe(401);
    const wrong = await api.call('GET', '/v1/namespaces/1/subscription', undefined, { token: 'wrong' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthorized');
    const noRoute = await api.call('GET', '/v1/nothing');
    expect(noRoute.status).toBe(404);
    expect(noRoute.body.error.code).toBe('not_found');
  });

  it('loses no update when 20 seat reports on one namespace race', async () => {
    const ns = nextNamespace++;
    await createSubscription(ns, `sub-${ns}`, 10);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => report(ns, i + 1, at('2026-07-01', `10:00:${String(i).padStart(2, '0')}`))),
    );
    // Every report is accepted wherever it lands in the log (a late one folds the ones after it
    // again); only a race lost eight times answers 409 concurrent_update, writing nothing.
    const applied = results.filter((r) => r.status === 200).length;
    const lost = results.filter((r) => r.status === 409 && r.body.error.code === 'concurrent_update').length;
    expect(applied + lost).toBe(20);
    const state = (await api.call('GET', `/v1/namespaces/${ns}/subscription`)).body;
    // Every applied report is one version and one history entry; the peak saw the largest applied,
    // and seatsInUse is the newest applied measurement.
    expect(state.version).toBe(1 + applied);
    const history = await api.call('GET', `/v1/subscriptions/sub-${ns}/history?limit=100`);
    expect(history.body.items).toHaveLength(1 + applied);
    const appliedSeats = results.map((r, i) => (r.status === 200 ? i + 1 : 0));
    expect(state.maxSeatsUsed).toBe(Math.max(...appliedSeats));
    expect(state.seatsInUse).toBe(Math.max(...appliedSeats));
  });

  it('publishes one Namespace Subscription Changed per applied change, from the stream', async () => {
    const ns = nextNamespace++;
    await createSubscription(ns, `sub-${ns}`);
    const id = eventId('outbox');
    await report(ns, 4, at('2026-08-01'), id);
    await report(ns, 4, at('2026-08-01'), id);
    await runtime.settle();
    const published = runtime.bus.recent.filter((e) => e['detail-type'] === 'Namespace Subscription Changed' && e.detail.namespaceId === ns);
    expect(published.map((e) => e.detail.type)).toEqual(['created', 'seatUsageReported']);
    expect(published[1]!.source).toBe('provisioning-service');
    expect(published[1]!.detail).toMatchObject({ eventId: id, before: { seatsInUse: 0 }, after: { seatsInUse: 4 } });
  });
});

describe('Lifecycle over EventBridge PutEvents', () => {
  it('applies commands sent with the real SDK to the local bus, once', async () => {
    const events = busClient(runtime);
    const ns = nextNamespace++;
    const created = { eventId: eventId('bus'), occurredAt: at('2026-01-01'), subscriptionId: `sub-${ns}`, namespaceId: ns, planCode: 'ultimate', seats: 3, startDate: '2026-01-01', endDate: '2027-01-01' };
    const usage = { eventId: eventId('bus'), occurredAt: at('2026-02-01'), namespaceId: ns, seatsInUse: 5, measuredAt: at('2026-02-01') };
    const first = await events.send(new PutEventsCommand({ Entries: [{ EventBusName: 'provisioning', Source: 'customers-portal', DetailType: 'Subscription Created', Detail: JSON.stringify(created) }] }));
    expect(first.FailedEntryCount).toBe(0);
    await runtime.bus.drain();
    const out = await events.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: 'provisioning', Source: 'customers-portal', DetailType: 'Seat Usage Reported', Detail: JSON.stringify(usage) },
          { EventBusName: 'provisioning', Source: 'customers-portal', DetailType: 'Seat Usage Reported', Detail: JSON.stringify(usage) },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(0);
    expect(out.Entries?.every((e) => e.EventId)).toBe(true);
    await runtime.bus.drain();
    const state = (await api.call('GET', `/v1/namespaces/${ns}/subscription`)).body;
    expect(state).toMatchObject({ seatsInUse: 5, maxSeatsUsed: 5, seatsOwed: 2, version: 2 });
    events.destroy();
  });

  it('turns an event that keeps failing into a Lambda failure record on the bus', async () => {
    const before = runtime.bus.counters.failed;
    runtime.bus.dispatch({
      version: '0', id: 'bad-1', 'detail-type': 'Subscription Renewed', source: 'customers-portal', account: '000000000000',
      time: '2026-01-01T00:00:00Z', region: 'eu-west-1', resources: [],
      detail: { eventId: eventId('bad'), occurredAt: at('2026-01-01'), subscriptionId: 'never-created', startDate: '2026-01-01', endDate: '2027-01-01' },
    });
    await runtime.bus.drain();
    expect(runtime.bus.counters.failed).toBe(before + 1);
    const record = runtime.bus.recent.find((e) => e['detail-type'] === 'Lambda Function Invocation Result - Failure' && (e.detail as any).requestPayload.id === 'bad-1');
    expect(record?.source).toBe('lambda');
    expect(record?.detail).toMatchObject({ requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 }, responsePayload: { errorType: 'UnknownSubscriptionError' } });
  });
});
