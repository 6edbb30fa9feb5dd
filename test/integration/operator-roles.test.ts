/**
 * The operator roles end to end on the local runtime, as issue 19's "done when" says: the support
 * token reassociates a subscription but cannot change a flag; the viewer token reads the error log
 * but cannot resolve an error. Each refusal is 403 naming the role needed and changes nothing; each
 * change records the person the token stands for.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { busClient, client, eventId, startTestRuntime } from './helpers.js';
import type { Client } from './helpers.js';

let runtime: Runtime;
let service: Client;
let admin: Client;
let events: EventBridgeClient;
const as = (token: string): Client => ({ call: (method, path, body, options = {}) => admin.call(method, path, body, { token, ...options }) });

beforeAll(async () => {
  runtime = await startTestRuntime();
  service = client(runtime, 'service');
  admin = client(runtime, 'operator');
  events = busClient(runtime);
});

afterAll(async () => {
  events?.destroy();
  await runtime?.stop();
});

describe('Operator roles (local tokens)', () => {
  it('tells each token who it is: admin keeps local-operator, support and viewer have their own', async () => {
    expect((await admin.call('GET', '/v1/operator/me')).body).toEqual({ id: 'local-operator', role: 'admin' });
    expect((await as(runtime.tokens.support).call('GET', '/v1/operator/me')).body).toEqual({ id: 'local-support', role: 'support' });
    expect((await as(runtime.tokens.viewer).call('GET', '/v1/operator/me')).body).toEqual({ id: 'local-viewer', role: 'viewer' });
  });

  it('lets the support token reassociate a subscription, recorded as local-support, but not change a flag', async () => {
    const support = as(runtime.tokens.support);
    const created = await service.call('POST', '/v1/subscriptions', {
      eventId: eventId('create'), occurredAt: '2026-01-01T10:00:00Z', subscriptionId: 'A-ROLES-1', namespaceId: 9101, planCode: 'premium',
      seats: 10, startDate: '2026-01-01', endDate: '2027-01-01', autoRenew: true,
    });
    expect(created.status).toBe(200);

    const moved = await support.call('POST', '/v1/subscriptions/A-ROLES-1/reassociations', {
      eventId: eventId('reassociate'), targetNamespaceId: 9102, reason: 'broken_association', note: 'Support moved it onto the right group',
    });
    expect(moved.status).toBe(200);
    expect(moved.body.after.target).toMatchObject({ namespaceId: 9102, subscriptionId: 'A-ROLES-1' });
    const report = await support.call('GET', '/v1/reassociations');
    expect(report.status).toBe(200);
    expect(report.body.items.find((r: { subscriptionId: string }) => r.subscriptionId === 'A-ROLES-1')).toMatchObject({ actor: 'local-support' });

    const flag = await support.call('PUT', '/v1/flags/roles_support_flag', { enabled: true });
    expect(flag.status).toBe(403);
    expect(flag.body.error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('needs the admin role') });
    expect((await admin.call('GET', '/v1/flags/roles_support_flag')).status).toBe(404);
    // Reading the flags is a viewer's right, so support's too.
    expect((await support.call('GET', '/v1/flags')).status).toBe(200);
  });

  it('lets the viewer token read the error log and an error, but not resolve it', async () => {
    const viewer = as(runtime.tokens.viewer);
    const out = await events.send(new PutEventsCommand({
      Entries: [{ EventBusName: 'provisioning', Source: 'provisioning-service', DetailType: 'Audit Finding', Detail: JSON.stringify({ code: 'renewal_not_processed', subject: 'subscription:A-ROLES-2', message: 'renewal not processed', payload: { subscriptionId: 'A-ROLES-2' }, asOf: '2026-03-01' }) }],
    }));
    expect(out.FailedEntryCount).toBe(0);
    await runtime.bus.drain();

    const list = await viewer.call('GET', '/v1/errors?limit=100');
    expect(list.status).toBe(200);
    const record = (list.body.items as Array<{ id: string; subject: string; status: string }>).find((r) => r.subject.includes('A-ROLES-2'));
    expect(record).toMatchObject({ status: 'open' });
    expect((await viewer.call('GET', `/v1/errors/${record!.id}`)).status).toBe(200);

    const resolve = await viewer.call('PATCH', `/v1/errors/${record!.id}`, { status: 'resolved' });
    expect(resolve.status).toBe(403);
    expect(resolve.body.error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('needs the support role') });
    expect((await viewer.call('GET', `/v1/errors/${record!.id}`)).body.status).toBe('open');

    // Support may: the workflow records the person.
    const resolved = await as(runtime.tokens.support).call('PATCH', `/v1/errors/${record!.id}`, { status: 'resolved' });
    expect(resolved.status).toBe(200);
    expect(resolved.body.changes.at(-1)).toMatchObject({ actor: 'local-support' });
  });
});
