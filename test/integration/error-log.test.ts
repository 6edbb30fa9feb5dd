/**
 * The error log end to end on DynamoDB Local, with a real Slack receiver on 127.0.0.1: failures
 * arrive by the one rule (a failed async delivery's failure record, Provisioning Failed from a 500,
 * Audit Finding), become one record per fingerprint, are announced once, and move along the workflow.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { startSlackRuntime } from './error-log-fakes.js';
import type { SlackReceiver, SlackRuntime } from './error-log-fakes.js';
import { eventId } from './helpers.js';
import type { Client } from './helpers.js';

let runtime: Runtime;
let operator: Client;
let service: Client;
let slack: SlackReceiver;
let events: EventBridgeClient;

let harness: SlackRuntime | undefined;

beforeAll(async () => {
  harness = await startSlackRuntime();
  ({ runtime, operator, service, slack, events } = harness);
});

afterAll(async () => {
  await harness?.stop();
});

afterEach(async () => {
  slack.status = 200;
  if (runtime.definitions.get('error-log-writer')!.environment.ERROR_LOG_NOISE_CODES) {
    await runtime.updateFunctionEnvironment('error-log-writer', ({ ERROR_LOG_NOISE_CODES: _codes, ...environment }) => environment);
  }
});

async function put(source: string, detailType: string, detail: unknown): Promise<void> {
  const out = await events.send(new PutEventsCommand({ Entries: [{ EventBusName: 'provisioning', Source: source, DetailType: detailType, Detail: JSON.stringify(detail) }] }));
  expect(out.FailedEntryCount).toBe(0);
  await runtime.bus.drain();
}

const finding = (code: string, subject: string, message = `${code} on ${subject}`) => ({ code, subject, message, payload: { subscriptionId: subject }, asOf: '2026-03-01' });

async function findRecord(code: string, subject?: string) {
  const list = await operator.call('GET', '/v1/errors?limit=100');
  expect(list.status).toBe(200);
  return (list.body.items as Array<{ code: string; subject: string; id: string }>).find((r) => r.code === code && (subject === undefined || r.subject.includes(subject)));
}

describe('One path in', () => {
  it('turns a handler that keeps failing on a bus event into one record, announced once', async () => {
    const before = slack.messages.length;
    // An invalid Subscription Created detail: the handler rejects it on all three attempts.
    const bad = { eventId: eventId('bad'), occurredAt: '2026-03-01T00:00:00Z', subscriptionId: 'S-bad', namespaceId: -1, email: 'jane@example.com' };
    await put('customers-portal', 'Subscription Created', bad);
    const record = await findRecord('async_handler_failed', 'Subscription Created');
    expect(record).toMatchObject({ source: 'async', status: 'open', occurrences: 1, errorType: 'InvalidInputError', gitlabIssueLink: null });
    const full = await operator.call('GET', `/v1/errors/${record!.id}`);
    expect(full.body.payload).toMatchObject({ function: 'ProvisioningService-subscription-created', condition: 'RetriesExhausted', approximateInvokeCount: 3 });
    expect(full.body.payload.event.detail).toMatchObject({ subscriptionId: 'S-bad', email: '[redacted]' });
    expect(JSON.stringify(full.body)).not.toContain('jane@example.com');
    expect(full.body.backtrace.length).toBeGreaterThan(0);

    // The same failure again: the same record counts it; Slack is not told twice.
    await put('customers-portal', 'Subscription Created', { ...bad, eventId: eventId('bad') });
    const again = await operator.call('GET', `/v1/errors/${record!.id}`);
    expect(again.body.occurrences).toBe(2);
    expect(slack.messages.length - before).toBe(1);
    const message = slack.messages.at(-1)!.text;
    expect(message).toContain('async_handler_failed');
    expect(message).toContain('Subscription Created');
    expect(message).toContain(`${runtime.url}/admin#/errors/${record!.id}`);
  });

  it("publishes Provisioning Failed for a sync handler's 500 and records it; a 4xx is not recorded", async () => {
    const badRequest = await service.call('POST', '/v1/subscriptions', { eventId: 'x' });
    expect(badRequest.status).toBe(400);

    // The state table disappears for one request: the command fails server-side.
    const seatUsage = 'seat-usage-reported';
    await runtime.updateFunctionEnvironment(seatUsage, (environment) => ({ ...environment, TABLE_STATE: 'no-such-table' }));
    let failed;
    try {
      failed = await service.call('PUT', '/v1/namespaces/77/seat-usage', {
        eventId: eventId('usage'),
        occurredAt: '2026-03-01T00:00:00Z',
        seatsInUse: 3,
        measuredAt: '2026-03-01T00:00:00Z',
      });
    } finally {
      await runtime.updateFunctionEnvironment(seatUsage, (environment) => ({ ...environment, TABLE_STATE: runtime.tables.state }));
    }
    expect(failed.status).toBe(500);
    expect(failed.body.error.code).toBe('internal_error');
    await runtime.bus.drain();

    const published = runtime.bus.recent.filter((e) => e['detail-type'] === 'Provisioning Failed');
    expect(published).toHaveLength(1);
    expect(published[0]!.detail).toMatchObject({ code: 'internal_error', subject: 'PUT /v1/namespaces/{namespaceId}/seat-usage', payload: { pathParameters: { namespaceId: '77' } } });
    const record = await findRecord('internal_error', 'PUT /v1/namespaces/{namespaceId}/seat-usage');
    // The function's policy covers its own tables only: AWS answers another table's name with AccessDenied.
    expect(record).toMatchObject({ source: 'http', status: 'open', occurrences: 1, errorType: 'AccessDeniedException' });
    expect(await findRecord('validation_failed')).toBeUndefined();
  });

  it('records an Audit Finding once per code and subject, and drops noise codes before storing', async () => {
    const before = slack.messages.length;
    await put('provisioning-service', 'Audit Finding', finding('renewal_not_processed', 'subscription:A-1'));
    await put('provisioning-service', 'Audit Finding', finding('renewal_not_processed', 'subscription:A-1'));
    await put('provisioning-service', 'Audit Finding', finding('renewal_not_processed', 'subscription:A-2'));
    const one = await findRecord('renewal_not_processed', 'subscription:A-1');
    const two = await findRecord('renewal_not_processed', 'subscription:A-2');
    expect(one).toMatchObject({ source: 'audit', occurrences: 2, errorType: 'AuditFinding' });
    expect(two).toMatchObject({ occurrences: 1 });
    expect(slack.messages.length - before).toBe(2);

    await runtime.updateFunctionEnvironment('error-log-writer', (environment) => ({ ...environment, ERROR_LOG_NOISE_CODES: 'known_noise, other_noise' }));
    await put('provisioning-service', 'Audit Finding', finding('known_noise', 'subscription:A-3'));
    expect(await findRecord('known_noise')).toBeUndefined();
    expect(slack.messages.length - before).toBe(2);
  });

  it('keeps the record when Slack is down, flags it, and the next digest run announces it once', async () => {
    slack.status = 503;
    const attempts = slack.attempts;
    await put('provisioning-service', 'Audit Finding', finding('expiry_not_processed', 'subscription:S-outage'));
    const record = await findRecord('expiry_not_processed', 'S-outage');
    expect(record).toMatchObject({ status: 'open', occurrences: 1, notificationFailed: true });
    expect(slack.attempts - attempts).toBe(3); // the first try and two bounded retries

    slack.status = 200;
    const messages = slack.messages.length;
    const run = await operator.call('POST', '/v1/jobs/daily-digest/runs', { asOf: '2026-03-02' });
    expect(run.status).toBe(200);
    expect(run.body.notifications).toMatchObject({ sent: expect.any(Number), failed: 0 });
    const announced = slack.messages.slice(messages).filter((m) => m.text.includes('S-outage'));
    expect(announced).toHaveLength(1);
    expect((await operator.call('GET', `/v1/errors/${record!.id}`)).body.notificationFailed).toBe(false);

    await operator.call('POST', '/v1/jobs/daily-digest/runs', { asOf: '2026-03-02' });
    expect(slack.messages.slice(messages).filter((m) => m.text.includes('S-outage'))).toHaveLength(1);
  });
});

describe('Workflow routes', () => {
  async function newRecord(subject: string): Promise<string> {
    await put('provisioning-service', 'Audit Finding', finding('trial_not_ended', subject));
    const record = await findRecord('trial_not_ended', subject);
    return record!.id;
  }

  it('lists newest first, filters by status, pages with a cursor', async () => {
    const ids = [];
    for (const n of [1, 2, 3]) ids.push(await newRecord(`namespace:list-${n}`));
    const page1 = await operator.call('GET', '/v1/errors?status=open&limit=2');
    expect(page1.status).toBe(200);
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.items[0].id).toBe(ids[2]);
    expect(page1.body.items[1].id).toBe(ids[1]);
    expect(page1.body.items.every((r: { status: string }) => r.status === 'open')).toBe(true);
    const page2 = await operator.call('GET', `/v1/errors?status=open&limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items[0].id).toBe(ids[0]);
    const createdAt = [...page1.body.items, ...page2.body.items].map((r: { createdAt: string }) => r.createdAt);
    expect([...createdAt].sort().reverse()).toEqual(createdAt);

    expect((await operator.call('GET', `/v1/errors?status=resolved&cursor=${page1.body.nextCursor}`)).status).toBe(400);
    expect((await operator.call('GET', '/v1/errors?cursor=not-a-cursor')).status).toBe(400);
    expect((await operator.call('GET', '/v1/errors?status=closed')).body.error.code).toBe('validation_failed');
    expect((await operator.call('GET', '/v1/errors?limit=500')).status).toBe(400);
  });

  it('moves a record open → needs_attention → in_progress → resolved, recording operator and time; other moves are 409', async () => {
    const id = await newRecord('namespace:workflow');
    const skip = await operator.call('PATCH', `/v1/errors/${id}`, { status: 'in_progress' });
    expect(skip.status).toBe(409);
    expect(skip.body.error).toMatchObject({ code: 'invalid_transition', details: { from: 'open', to: 'in_progress', allowed: ['resolved', 'needs_attention'] } });

    const steps = ['needs_attention', 'in_progress', 'resolved'];
    for (const status of steps) {
      const res = await operator.call('PATCH', `/v1/errors/${id}`, { status, ...(status === 'in_progress' ? { notes: 'looking into it' } : {}) });
      expect(res.status, status).toBe(200);
      expect(res.body.status).toBe(status);
    }
    const record = (await operator.call('GET', `/v1/errors/${id}`)).body;
    expect(record.notes).toBe('looking into it');
    expect(record.changes.map((c: { field: string; from: string; to: string }) => `${c.field}:${c.from}->${c.to}`)).toEqual([
      'status:open->needs_attention',
      'status:needs_attention->in_progress',
      'notes:null->looking into it',
      'status:in_progress->resolved',
    ]);
    expect(record.changes.every((c: { actor: string; at: string }) => c.actor === 'local-operator' && !Number.isNaN(Date.parse(c.at)))).toBe(true);

    // Resolved is final; asking for it again changes nothing.
    expect((await operator.call('PATCH', `/v1/errors/${id}`, { status: 'open' })).status).toBe(409);
    const same = await operator.call('PATCH', `/v1/errors/${id}`, { status: 'resolved' });
    expect(same.status).toBe(200);
    expect(same.body.changes).toHaveLength(4);
  });

  it('reopens a resolved record when its failure comes back, and announces it again', async () => {
    const id = await newRecord('namespace:recurring');
    expect((await operator.call('PATCH', `/v1/errors/${id}`, { status: 'resolved' })).status).toBe(200);
    const before = slack.messages.length;
    await put('provisioning-service', 'Audit Finding', finding('trial_not_ended', 'namespace:recurring'));
    const record = (await operator.call('GET', `/v1/errors/${id}`)).body;
    expect(record).toMatchObject({ status: 'open', occurrences: 2 });
    expect(record.changes.at(-1)).toMatchObject({ field: 'status', from: 'resolved', to: 'open', actor: 'error-log-writer' });
    expect(slack.messages.slice(before)).toHaveLength(1);
    expect(slack.messages.at(-1)!.text).toContain('is back');
  });

  it('validates input and access: 400, 404, 403', async () => {
    const id = await newRecord('namespace:validation');
    expect((await operator.call('PATCH', `/v1/errors/${id}`, {})).status).toBe(400);
    expect((await operator.call('PATCH', `/v1/errors/${id}`, { status: 'done' })).status).toBe(400);
    expect((await operator.call('PATCH', `/v1/errors/${id}`, { gitlabIssueLink: 'javascript:alert(1)' })).status).toBe(400);
    expect((await operator.call('PATCH', `/v1/errors/${id}`, { owner: 'me' })).status).toBe(400);
    expect((await operator.call('GET', '/v1/errors/err_000000000000000000000000')).status).toBe(404);
    expect((await operator.call('GET', '/v1/errors/nope')).status).toBe(400);
    expect((await service.call('GET', '/v1/errors')).status).toBe(403);
    expect((await service.call('PATCH', `/v1/errors/${id}`, { status: 'resolved' })).status).toBe(403);
    const linked = await operator.call('PATCH', `/v1/errors/${id}`, { gitlabIssueLink: 'https://gitlab.example.com/g/p/-/issues/9' });
    expect(linked.body.gitlabIssueLink).toBe('https://gitlab.example.com/g/p/-/issues/9');
    const unlinked = await operator.call('PATCH', `/v1/errors/${id}`, { gitlabIssueLink: null });
    expect(unlinked.body.gitlabIssueLink).toBeNull();
  });
});
