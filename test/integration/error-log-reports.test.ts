/**
 * Reporting from other systems, end to end on DynamoDB Local with a Slack receiver on 127.0.0.1:
 * POST /v1/errors and `Revenue Error Reported` on the bus reach the one writer; a report counts
 * once per eventId, whichever way it comes; records keep where the failure happened and their last
 * occurrences; an archive replay of old events never reopens a resolved record.
 */
import { readFileSync } from 'node:fs';
import { DeleteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { ddb } from '../../shared/platform/dynamodb/client.js';
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

const fixture = JSON.parse(readFileSync(new URL('../fixtures/events/revenue-error-reported.json', import.meta.url), 'utf8')) as { detail: Record<string, unknown> };

/** A Zuora failure of the customers portal's renewal flow, about `subject`. */
const zuoraFailure = (subject: string, over: Record<string, unknown> = {}) => ({ ...fixture.detail, eventId: eventId('portal'), subject, ...over });

async function report(body: unknown) {
  const res = await service.call('POST', '/v1/errors', body);
  await runtime.bus.drain();
  return res;
}

async function put(source: string, detailType: string, detail: unknown): Promise<void> {
  const out = await events.send(new PutEventsCommand({ Entries: [{ EventBusName: 'provisioning', Source: source, DetailType: detailType, Detail: JSON.stringify(detail) }] }));
  expect(out.FailedEntryCount).toBe(0);
  await runtime.bus.drain();
}

const record = async (id: string) => (await operator.call('GET', `/v1/errors/${id}`)).body;

describe('POST /v1/errors', () => {
  it('records a Zuora failure with its system, integration and flow, and announces it once; a repeat adds an occurrence and no message', async () => {
    const before = slack.messages.length;
    const first = zuoraFailure('A00000001');
    const res = await report(first);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: expect.stringMatching(/^err_[0-9a-f]{24}$/), eventId: first.eventId });

    const stored = await record(res.body.id);
    expect(stored).toMatchObject({
      source: 'report',
      system: 'customers-portal',
      integration: 'zuora',
      flow: 'renewal',
      subject: 'A00000001',
      subjectKind: 'zuora_account',
      code: 'VALIDATION_ERROR',
      status: 'open',
      occurrences: 1,
      payload: { contactEmail: '[redacted]', apiToken: '[redacted]' },
    });
    expect(JSON.stringify(stored)).not.toMatch(/billing\.owner@example\.com|glpat-/);
    expect(stored.recentOccurrences).toEqual([expect.objectContaining({ occurrenceId: `report:customers-portal:${first.eventId}`, occurredAt: '2026-03-01T09:30:00.000Z' })]);
    expect(slack.messages.length - before).toBe(1);
    expect(slack.messages.at(-1)!.text).toContain('VALIDATION_ERROR');

    const second = zuoraFailure('A00000001', { occurredAt: '2026-03-01T11:00:00Z', message: 'Zuora rejected the amendment again' });
    const again = await report(second);
    expect(again.body.id).toBe(res.body.id);
    const after = await record(res.body.id);
    expect(after.occurrences).toBe(2);
    expect(after.recentOccurrences.map((o: { occurrenceId: string }) => o.occurrenceId)).toEqual([
      `report:customers-portal:${second.eventId}`,
      `report:customers-portal:${first.eventId}`,
    ]);
    expect(after.message).toBe('Zuora rejected the amendment again');
    expect(slack.messages.length - before).toBe(1);
  });

  it('counts one eventId once: twice by HTTP, and once more on the bus from the customers portal', async () => {
    const body = zuoraFailure('A00000002');
    const one = await report(body);
    const two = await report(body);
    expect([one.status, two.status]).toEqual([202, 202]);
    await put('customers-portal', 'Revenue Error Reported', body);
    expect((await record(one.body.id)).occurrences).toBe(1);
  });

  it('takes a report on the bus from the customers portal, on the same record as by HTTP', async () => {
    const body = zuoraFailure('A00000003');
    await put('customers-portal', 'Revenue Error Reported', body);
    const byHttp = await report({ ...body, eventId: eventId('portal') });
    const stored = await record(byHttp.body.id);
    expect(stored).toMatchObject({ occurrences: 2, system: 'customers-portal', integration: 'zuora', flow: 'renewal' });
  });

  it('answers a bad body with 400 naming the fields, and records nothing', async () => {
    const before = runtime.bus.recent.length;
    const res = await service.call('POST', '/v1/errors', { ...zuoraFailure('A00000004'), flow: 'checkout', occurredAt: 'yesterday', subject: undefined, extra: 1 });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const fields = res.body.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['flow', 'occurredAt', 'extra']));
    expect(runtime.bus.recent.length).toBe(before);
    expect((await service.call('POST', '/v1/errors', { ...zuoraFailure('x'), subject: undefined })).body.error.details).toEqual([
      expect.objectContaining({ field: 'subjectKind' }),
    ]);
    expect((await operator.call('POST', '/v1/errors', zuoraFailure('A00000005'), { token: null })).status).toBe(401);
  });

  it('filters GET /v1/errors by system, integration, flow and code', async () => {
    const zuora = await report(zuoraFailure('A00000006', { code: 'FILTER_ME' }));
    const salesforce = await report(zuoraFailure('0065g00000XyZ', { code: 'FILTER_ME', integration: 'salesforce', flow: 'salesforce_sync', subjectKind: 'salesforce_object' }));
    const ids = async (query: string) => {
      const res = await operator.call('GET', `/v1/errors?${query}`);
      expect(res.status, query).toBe(200);
      return res.body.items.map((r: { id: string }) => r.id);
    };
    expect(await ids('code=FILTER_ME&system=customers-portal')).toEqual([salesforce.body.id, zuora.body.id]);
    expect(await ids('code=FILTER_ME&integration=zuora')).toEqual([zuora.body.id]);
    expect(await ids('code=FILTER_ME&flow=salesforce_sync&status=open')).toEqual([salesforce.body.id]);
    expect(await ids('code=FILTER_ME&integration=none')).toEqual([]);
    expect(await ids('code=FILTER_ME&system=provisioning-service')).toEqual([]);
    // Pages of one follow nextCursor through both.
    const page1 = await operator.call('GET', '/v1/errors?code=FILTER_ME&limit=1');
    expect(page1.body.items.map((r: { id: string }) => r.id)).toEqual([salesforce.body.id]);
    const page2 = await operator.call('GET', `/v1/errors?code=FILTER_ME&limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items.map((r: { id: string }) => r.id)).toEqual([zuora.body.id]);
    expect((await operator.call('GET', '/v1/errors?flow=checkout')).status).toBe(400);
  });
});

describe('Records stay bounded', () => {
  it('refuses a GitLab link over 1,024 bytes with 400 naming the field (700 characters of 3 bytes)', async () => {
    const res = await report(zuoraFailure('A00000007'));
    const link = `https://gitlab.example.com/${'問'.repeat(700)}`;
    const patch = await operator.call('PATCH', `/v1/errors/${res.body.id}`, { gitlabIssueLink: link });
    expect(patch.status).toBe(400);
    expect(patch.body.error.details).toEqual([expect.objectContaining({ field: 'gitlabIssueLink', message: expect.stringContaining('bytes') })]);
    expect((await record(res.body.id)).gitlabIssueLink).toBeNull();
  });
});

describe('Archive replays', () => {
  /** What the markers' TTL does after EVENT_ARCHIVE_RETENTION_DAYS: every trace of having counted an occurrence is gone. */
  async function expireMarkers(id: string, occurrenceIds: string[]) {
    const table = process.env.TABLE_ERRORS!;
    const { Items = [] } = await ddb().send(new ScanCommand({ TableName: table, ConsistentRead: true }));
    for (const item of Items) {
      const isMarker = occurrenceIds.some((o) => item.pk === `OCC#${o}`);
      const isEvidence = item.pk === `ERR#${id}` && String(item.sk).startsWith('OCC#');
      if (isMarker || isEvidence) await ddb().send(new DeleteCommand({ TableName: table, Key: { pk: item.pk, sk: item.sk } }));
    }
  }

  it('a replay of old events after the markers expired never reopens a resolved record, unlinks its issue, announces it or counts again', async () => {
    const old = [zuoraFailure('A00000008', { occurredAt: '2026-03-01T08:00:00Z' }), zuoraFailure('A00000008', { occurredAt: '2026-03-01T08:05:00Z' })];
    let id = '';
    for (const body of old) id = (await report(body)).body.id;
    const link = 'https://gitlab.example.com/g/p/-/issues/18';
    expect((await operator.call('PATCH', `/v1/errors/${id}`, { gitlabIssueLink: link, status: 'resolved' })).status).toBe(200);
    const resolved = await record(id);
    expect(resolved).toMatchObject({ status: 'resolved', occurrences: 2, gitlabIssueLink: link });
    await expireMarkers(id, old.map((o) => `report:customers-portal:${o.eventId}`));

    const before = slack.messages.length;
    // The archive replays them (new envelope ids), through the bus and once more by HTTP.
    for (const body of old) await put('customers-portal', 'Revenue Error Reported', body);
    for (const body of old) expect((await report(body)).status).toBe(202);
    const after = await record(id);
    expect(after).toMatchObject({ status: 'resolved', occurrences: 2, gitlabIssueLink: link, changes: resolved.changes });
    expect(slack.messages.length).toBe(before);

    // A failure that happens after the resolution is new: it reopens the record.
    await report(zuoraFailure('A00000008', { occurredAt: new Date(Date.now() + 2_000).toISOString() }));
    expect(await record(id)).toMatchObject({ status: 'open', occurrences: 3 });
    expect(slack.messages.length).toBe(before + 1);
  });

  it('a replayed Lambda failure record (new envelope id, same invocation) counts once while its marker lives', async () => {
    const failure = JSON.parse(readFileSync(new URL('../fixtures/events/lambda-failure.json', import.meta.url), 'utf8')) as { detail: Record<string, unknown> };
    failure.detail.timestamp = new Date().toISOString();
    await put('lambda', 'Lambda Function Invocation Result - Failure', failure.detail);
    await put('lambda', 'Lambda Function Invocation Result - Failure', failure.detail);
    const list = await operator.call('GET', '/v1/errors?code=async_handler_failed&system=provisioning-service&limit=100');
    const found = list.body.items.filter((r: { subject: string }) => r.subject.includes('subscriptionId=A-S0001'));
    expect(found).toHaveLength(1);
    expect(found[0].occurrences).toBe(1);
  });
});
