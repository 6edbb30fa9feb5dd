import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { client, eventId, startTestRuntime, busClient } from './helpers.js';
import type { Client } from './helpers.js';

// Every evaluation reads the flags table, so a flag change applies to the very next request
// (the default, 30 s, is covered by the provider's unit tests).
process.env.FLAGS_CACHE_TTL_SECONDS = '0';

let runtime: Runtime;
let api: Client;
let operator: Client;
let day = 1;

beforeAll(async () => {
  runtime = await startTestRuntime();
  api = client(runtime, 'service');
  operator = client(runtime, 'operator');
});

afterAll(async () => {
  await runtime?.stop();
});

/** A later instant on every call: each change is newer than the last. */
const nextInstant = () => new Date(Date.UTC(2026, 0, 1) + day++ * 3_600_000).toISOString();

const setAccount = (customerId: string, zuoraAccountId: string, options: { id?: string; occurredAt?: string; query?: string } = {}) =>
  api.call('PUT', `/v1/customers/${customerId}/billing-account${options.query ?? ''}`, {
    eventId: options.id ?? eventId('ba'),
    occurredAt: options.occurredAt ?? nextInstant(),
    zuoraAccountId,
  });

const flag = (change: Record<string, unknown>) => operator.call('PUT', '/v1/flags/account_data_persistence', change);
const members = async (zuoraAccountId: string) => {
  const res = await api.call('GET', `/v1/billing-accounts/${zuoraAccountId}`);
  return res.status === 404 ? null : (res.body.members as Array<{ customerId: string }>).map((m) => m.customerId).sort();
};

describe('Customer billing accounts over HTTP', () => {
  it('with the flag never created, records only the customer: the billing account is never persisted', async () => {
    const res = await setAccount('cust-off', 'Z-OFF');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ customerId: 'cust-off', zuoraAccountId: 'Z-OFF', membershipZuoraAccountId: null, accountDataPersisted: false, version: 1 });
    expect(res.body.changedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect((await api.call('GET', '/v1/customers/cust-off')).body).toEqual(res.body);
    const account = await api.call('GET', '/v1/billing-accounts/Z-OFF');
    expect(account.status).toBe(404);
    expect(account.body.error.code).toBe('not_found');
  });

  it('with the flag on for a customer, keeps its billing account and membership; moving it removes the old membership', async () => {
    await flag({ actors: ['cust-a'] });
    const joined = await setAccount('cust-a', 'Z-1');
    expect(joined.body).toMatchObject({ zuoraAccountId: 'Z-1', membershipZuoraAccountId: 'Z-1', accountDataPersisted: true });
    const account = await api.call('GET', '/v1/billing-accounts/Z-1');
    expect(account.status).toBe(200);
    expect(account.body).toMatchObject({ zuoraAccountId: 'Z-1', members: [{ customerId: 'cust-a', eventId: joined.body.lastEventId, since: joined.body.lastOccurredAt }], nextCursor: null });

    const moved = await setAccount('cust-a', 'Z-2');
    expect(moved.body).toMatchObject({ zuoraAccountId: 'Z-2', membershipZuoraAccountId: 'Z-2', version: 2 });
    expect(await members('Z-1')).toEqual([]);
    expect(await members('Z-2')).toEqual(['cust-a']);

    // Another customer, not targeted, moving to the same account: recorded, not a member.
    const other = await setAccount('cust-b', 'Z-2');
    expect(other.body.accountDataPersisted).toBe(false);
    expect(await members('Z-2')).toEqual(['cust-a']);
  });

  it('rolls back without touching the data; turned on again, the next change moves the membership from where it was kept', async () => {
    await flag({ actors: ['cust-r'] });
    await setAccount('cust-r', 'Z-R1');
    await flag({ actors: [] });
    const whileOff = await setAccount('cust-r', 'Z-R2');
    expect(whileOff.body).toMatchObject({ zuoraAccountId: 'Z-R2', membershipZuoraAccountId: 'Z-R1', accountDataPersisted: false });
    // The drift the audit reports: the customer bills to Z-R2, its membership is still under Z-R1.
    expect(await members('Z-R1')).toEqual(['cust-r']);
    expect(await members('Z-R2')).toBeNull();

    await flag({ actors: ['cust-r'] });
    const repaired = await setAccount('cust-r', 'Z-R2');
    expect(repaired.body).toMatchObject({ membershipZuoraAccountId: 'Z-R2', accountDataPersisted: true });
    expect(await members('Z-R1')).toEqual([]);
    expect(await members('Z-R2')).toEqual(['cust-r']);
  });

  it('follows the percentage gate: cust-1 (bucket 4806) is in at 4.807 %, cust-2 (bucket 11132) is not', async () => {
    await flag({ actors: [], percentageOfActors: 4.807 });
    expect((await setAccount('cust-1', 'Z-P')).body.accountDataPersisted).toBe(true);
    expect((await setAccount('cust-2', 'Z-P')).body.accountDataPersisted).toBe(false);
    await flag({ percentageOfActors: 100 });
    expect((await setAccount('cust-2', 'Z-P')).body.accountDataPersisted).toBe(true);
    expect(await members('Z-P')).toEqual(['cust-1', 'cust-2']);
    await flag({ percentageOfActors: 0 });
  });

  it('answers a replay with the stored result, a reused eventId with 409, a stale event with 409, writing nothing', async () => {
    await flag({ enabled: true });
    const id = eventId('once');
    const occurredAt = nextInstant();
    const first = await setAccount('cust-i', 'Z-I1', { id, occurredAt });
    const again = await setAccount('cust-i', 'Z-I1', { id, occurredAt });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);

    const reused = await setAccount('cust-i', 'Z-I2', { id, occurredAt });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('idempotency_conflict');

    const stale = await setAccount('cust-i', 'Z-I3', { occurredAt: '2025-12-31T00:00:00Z' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('stale_event');

    // One idempotency table for every command: an eventId a lifecycle command used is taken.
    const sharedId = eventId('shared');
    const created = await api.call('POST', '/v1/subscriptions', {
      eventId: sharedId, occurredAt: nextInstant(), subscriptionId: 'S-ba-1', namespaceId: 9001, planCode: 'premium', seats: 1, startDate: '2026-01-01', endDate: '2027-01-01',
    });
    expect(created.status).toBe(200);
    const taken = await setAccount('cust-i', 'Z-I4', { id: sharedId });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('idempotency_conflict');

    const customer = await api.call('GET', '/v1/customers/cust-i');
    expect(customer.body).toEqual(first.body);
    expect(await members('Z-I1')).toEqual(['cust-i']);
    expect(await members('Z-I3')).toBeNull();
    await flag({ enabled: false });
  });

  it('answers a dry run with the customer it would produce and writes nothing', async () => {
    await flag({ actors: ['cust-d'] });
    await setAccount('cust-d', 'Z-D1');
    const dry = await setAccount('cust-d', 'Z-D2', { query: '?dryRun=true' });
    expect(dry.status).toBe(200);
    expect(dry.headers.get('dry-run')).toBe('true');
    expect(dry.body).toMatchObject({ zuoraAccountId: 'Z-D2', membershipZuoraAccountId: 'Z-D2', version: 2 });
    expect((await api.call('GET', '/v1/customers/cust-d')).body).toMatchObject({ zuoraAccountId: 'Z-D1', version: 1 });
    expect(await members('Z-D2')).toBeNull();
  });

  it('keeps the billing account in step when customers join it concurrently', async () => {
    await flag({ enabled: true });
    const customers = ['cust-c1', 'cust-c2', 'cust-c3', 'cust-c4'];
    const results = await Promise.all(customers.map((c) => setAccount(c, 'Z-SHARED')));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(await members('Z-SHARED')).toEqual(customers);
    await flag({ enabled: false });
  });

  it('validates ids and bodies with 400, and reads unknown customers as 404', async () => {
    const bad = await api.call('PUT', '/v1/customers/cust-v/billing-account', { eventId: 'x', occurredAt: nextInstant(), zuoraAccountId: 'Z#1' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('zuoraAccountId');
    expect((await api.call('GET', '/v1/customers/never-seen')).status).toBe(404);
    expect((await api.call('PUT', '/v1/customers/cust-v/billing-account', { eventId: 'x', occurredAt: nextInstant() })).status).toBe(400);
    expect((await api.call('GET', '/v1/customers/cust-v', undefined, { token: null })).status).toBe(401);
  });
});

describe('Customer Billing Account Set over the local bus', () => {
  it('applies the event with the same command code, once', async () => {
    await flag({ actors: ['cust-e'] });
    const events = busClient(runtime);
    const detail = { eventId: eventId('bus'), occurredAt: nextInstant(), customerId: 'cust-e', zuoraAccountId: 'Z-E' };
    const entry = { EventBusName: 'provisioning', Source: 'customers-portal', DetailType: 'Customer Billing Account Set', Detail: JSON.stringify(detail) };
    const out = await events.send(new PutEventsCommand({ Entries: [entry, entry] }));
    expect(out.FailedEntryCount).toBe(0);
    await runtime.bus.drain();
    events.destroy();

    const customer = await api.call('GET', '/v1/customers/cust-e');
    expect(customer.body).toMatchObject({ zuoraAccountId: 'Z-E', membershipZuoraAccountId: 'Z-E', accountDataPersisted: true, lastEventId: detail.eventId, version: 1 });
    expect(await members('Z-E')).toEqual(['cust-e']);

    // A stale event is settled, not failed: no failure record reaches the bus.
    const failedBefore = runtime.bus.counters.failed;
    runtime.bus.dispatch({
      version: '0', id: 'stale-1', 'detail-type': 'Customer Billing Account Set', source: 'customers-portal', account: '000000000000',
      time: new Date().toISOString(), region: 'eu-west-1', resources: [],
      detail: { eventId: eventId('bus'), occurredAt: '2025-01-01T00:00:00Z', customerId: 'cust-e', zuoraAccountId: 'Z-OLD' },
    });
    await runtime.bus.drain();
    expect(runtime.bus.counters.failed).toBe(failedBefore);
    expect((await api.call('GET', '/v1/customers/cust-e')).body.zuoraAccountId).toBe('Z-E');
  });
});
