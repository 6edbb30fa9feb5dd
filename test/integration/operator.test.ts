/**
 * The admin page's server side, through the local runtime on DynamoDB Local: the static files on
 * public routes with their headers, the operator reads (a namespace's state with its history, a
 * subscription's namespace) and the in-process metric counters the handlers feed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import type { MetricsSnapshot } from '../../shared/platform/metrics.js';
import { client, eventId, startTestRuntime } from './helpers.js';
import type { Client } from './helpers.js';

let runtime: Runtime;
let api: Client;
let ops: Client;

const NS = 7100;
const SUB = 'OP-S0001';

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  runtime = await startTestRuntime();
  api = client(runtime, 'service');
  ops = client(runtime, 'operator');
  const created = await api.call('POST', '/v1/subscriptions', {
    eventId: eventId('create'), occurredAt: '2026-01-01T00:00:00Z', subscriptionId: SUB, namespaceId: NS, planCode: 'premium',
    seats: 10, startDate: '2026-01-01', endDate: '2027-01-01', autoRenew: true,
  });
  expect(created.status).toBe(200);
  for (const [i, seatsInUse] of [12, 14, 9].entries()) {
    const measuredAt = `2026-0${i + 2}-01T00:00:00Z`;
    const res = await api.call('PUT', `/v1/namespaces/${NS}/seat-usage`, { eventId: eventId('usage'), occurredAt: measuredAt, seatsInUse, measuredAt });
    expect(res.status).toBe(200);
  }
});

afterAll(async () => {
  await runtime?.stop();
  delete process.env.POWERTOOLS_METRICS_DISABLED;
});

const counters = async () => ((await ops.call('GET', '/v1/operator/metrics')).body as MetricsSnapshot).counters;
const sumOf = (list: MetricsSnapshot['counters'], name: string, dimensions: Record<string, string> = {}) =>
  list.filter((c) => c.name === name && JSON.stringify(c.dimensions) === JSON.stringify(dimensions)).reduce((n, c) => n + c.sum, 0);

describe('The admin page', () => {
  it('is served without a token, with strict security headers', async () => {
    const res = await fetch(`${runtime.url}/admin`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(await res.text()).toContain('<script type="module" src="/admin/app.js"></script>');
    const js = await fetch(`${runtime.url}/admin/app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });
});

describe('GET /v1/operator/namespaces/{namespaceId}', () => {
  it('answers the state and the history newest first, each entry with the whole state before and after', async () => {
    const res = await ops.call('GET', `/v1/operator/namespaces/${NS}`);
    expect(res.status).toBe(200);
    expect(res.body.state).toMatchObject({ namespaceId: NS, subscriptionId: SUB, seats: 10, seatsInUse: 9, maxSeatsUsed: 14, seatsOwed: 4, version: 4 });
    const items = res.body.history.items as Array<Record<string, any>>;
    expect(items.map((i) => i.type)).toEqual(['seatUsageReported', 'seatUsageReported', 'seatUsageReported', 'created']);
    expect(items[0]!.before).toMatchObject({ seatsInUse: 14, maxSeatsUsed: 14 });
    expect(items[0]!.after).toMatchObject({ seatsInUse: 9, maxSeatsUsed: 14, seatsOwed: 4 });
    expect(items[3]!.before).toBeNull();
    expect(res.body.history.nextCursor).toBeNull();
  });

  it('pages the history with limit and cursor', async () => {
    const first = await ops.call('GET', `/v1/operator/namespaces/${NS}?limit=3`);
    expect(first.body.history.items.map((i: { version: number }) => i.version)).toEqual([4, 3, 2]);
    const second = await ops.call('GET', `/v1/operator/namespaces/${NS}?limit=3&cursor=${encodeURIComponent(first.body.history.nextCursor)}`);
    expect(second.body.history.items.map((i: { version: number }) => i.version)).toEqual([1]);
    expect(second.body.history.nextCursor).toBeNull();
  });

  it('answers 404 for a namespace without state, 400 for a bad cursor or an unknown parameter', async () => {
    const missing = await ops.call('GET', '/v1/operator/namespaces/7199');
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain('7199');
    const cursor = await ops.call('GET', `/v1/operator/namespaces/${NS}?cursor=${Buffer.from('["NS#1","HIST#1"]').toString('base64url')}`);
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.details).toEqual([{ field: 'cursor', message: 'invalid' }]);
    const unknown = await ops.call('GET', `/v1/operator/namespaces/${NS}?seats=1`);
    expect(unknown.status).toBe(400);
  });

  it('is an operator route: a service token is 403', async () => {
    expect((await api.call('GET', `/v1/operator/namespaces/${NS}`)).status).toBe(403);
  });
});

describe('GET /v1/operator/subscriptions/{subscriptionId}', () => {
  it("answers the subscription's namespace, 404 for an unknown one", async () => {
    const res = await ops.call('GET', `/v1/operator/subscriptions/${SUB}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ subscriptionId: SUB, namespaceId: NS });
    expect((await ops.call('GET', '/v1/operator/subscriptions/OP-NOPE')).status).toBe(404);
  });
});

describe('GET /v1/operator/metrics', () => {
  it("counts what its own execution environment did, not another function's: each function runs isolated, as in AWS", async () => {
    const before = await counters();
    const body = { eventId: eventId('ent'), occurredAt: '2026-06-01T00:00:00Z', seats: 20 };
    expect((await api.call('POST', `/v1/subscriptions/${SUB}/entitlements`, body)).status).toBe(200);
    const after = await counters();
    expect(sumOf(after, 'EventsApplied', { type: 'entitlementsUpdated' })).toBe(sumOf(before, 'EventsApplied', { type: 'entitlementsUpdated' }));
  });

  it('says whose counters they are', async () => {
    const res = await ops.call('GET', '/v1/operator/metrics');
    expect(res.body).toMatchObject({ scope: 'process', namespace: 'Provisioning', since: expect.any(String) });
    expect((await ops.call('GET', '/v1/operator/metrics?x=1')).status).toBe(400);
  });
});
