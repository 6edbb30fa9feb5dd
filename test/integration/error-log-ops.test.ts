/**
 * What operators manage without a deploy, end to end on DynamoDB Local through the local runtime:
 * noise rules (versions, history, concurrency, built-in rules; a rule silences the next failure of
 * its code: not stored, not announced, counted on the rule), runbooks (shipped and saved, on the
 * record, in Slack and in the digest issue) and links to the systems of record.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { countSilenced, readCount } from '../../shared/error-log/noise-rules.js';
import { defaultWriterDeps, recordFailure } from '../../shared/error-log/writer.js';
import { ddb } from '../../shared/platform/dynamodb/client.js';
import { countDynamoDbCalls } from '../../bench/count-calls.js';
import { startGitLabStandIn, startSlackReceiver } from './error-log-fakes.js';
import type { GitLabStandIn, SlackReceiver } from './error-log-fakes.js';
import { busClient, client, eventId, startTestRuntime } from './helpers.js';
import type { Client } from './helpers.js';

let runtime: Runtime;
let operator: Client;
let slack: SlackReceiver;
let gitlab: GitLabStandIn;
let events: EventBridgeClient;

const today = () => new Date().toISOString().slice(0, 10);
const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  slack = await startSlackReceiver();
  gitlab = await startGitLabStandIn();
  Object.assign(process.env, {
    SLACK_WEBHOOK_URL: slack.url,
    GITLAB_URL: gitlab.url,
    GITLAB_TOKEN: gitlab.token,
    GITLAB_PROJECT_ID: gitlab.projectId,
    ERROR_LOG_SUBJECT_LINKS: JSON.stringify({ subscription: 'https://zuora.example.com/subscriptions/{subject}' }),
  });
  delete process.env.ERROR_LOG_NOISE_CODES;
  runtime = await startTestRuntime();
  operator = client(runtime, 'operator');
  events = busClient(runtime);
});

afterAll(async () => {
  events?.destroy();
  await runtime?.stop();
  await slack?.close();
  await gitlab?.close();
  for (const key of ['SLACK_WEBHOOK_URL', 'GITLAB_URL', 'GITLAB_TOKEN', 'GITLAB_PROJECT_ID', 'ERROR_LOG_SUBJECT_LINKS']) delete process.env[key];
});

async function finding(code: string, subject: string): Promise<void> {
  const out = await events.send(
    new PutEventsCommand({
      Entries: [{ EventBusName: 'provisioning', Source: 'provisioning-service', DetailType: 'Audit Finding', Detail: JSON.stringify({ code, subject, message: `${code}: ${subject}`, payload: {}, asOf: today() }) }],
    }),
  );
  expect(out.FailedEntryCount).toBe(0);
  await runtime.bus.drain();
}

async function records(code: string): Promise<Array<{ id: string; code: string; subject: string; occurrences: number }>> {
  const list = await operator.call('GET', '/v1/errors?limit=100');
  expect(list.status).toBe(200);
  return list.body.items.filter((r: { code: string }) => r.code === code);
}

const ruleOf = async (id: string) => ((await operator.call('GET', '/v1/noise-rules')).body.items as Array<Record<string, unknown>>).find((r) => r.id === id);

describe('Noise rules', () => {
  it('keeps every change with its operator: versions, the same PUT again is no change, history newest first', async () => {
    const body = { match: { code: 'VALIDATION_ERROR', integration: 'zuora' }, reason: 'Zuora sandbox accounts' };
    const created = await operator.call('PUT', '/v1/noise-rules/zuora-sandbox', body);
    expect(created).toMatchObject({ status: 201, body: { id: 'zuora-sandbox', version: 1, updatedBy: 'local-operator', body: { match: body.match, reason: body.reason } } });
    const again = await operator.call('PUT', '/v1/noise-rules/zuora-sandbox', body);
    expect(again).toMatchObject({ status: 200, body: { version: 1 } });
    const changed = await operator.call('PUT', '/v1/noise-rules/zuora-sandbox', { ...body, reason: 'Zuora sandbox tenants', expectedVersion: 1 });
    expect(changed).toMatchObject({ status: 200, body: { version: 2 } });
    const stale = await operator.call('PUT', '/v1/noise-rules/zuora-sandbox', { ...body, reason: 'stale', expectedVersion: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'version_conflict', details: { version: 2, expectedVersion: 1 } });

    const history = await operator.call('GET', '/v1/noise-rules/zuora-sandbox/history');
    expect(history.body.items.map((e: { version: number }) => e.version)).toEqual([2, 1]);
    expect(history.body.items[1]).toMatchObject({ operator: 'local-operator', action: 'saved', before: null, after: { reason: 'Zuora sandbox accounts' } });
    expect(history.body.items[0]).toMatchObject({ before: { reason: 'Zuora sandbox accounts' }, after: { reason: 'Zuora sandbox tenants' } });

    expect(await ruleOf('zuora-sandbox')).toMatchObject({ source: 'stored', version: 2, active: true, matched: 0, lastMatchedAt: null });
  });

  it('lets one of two concurrent changes pinned to the same version win; the other is a 409', async () => {
    await operator.call('PUT', '/v1/noise-rules/race', { match: { code: 'race_code' }, reason: 'v1' });
    const answers = await Promise.all(['a', 'b'].map((r) => operator.call('PUT', '/v1/noise-rules/race', { match: { code: 'race_code' }, reason: r, expectedVersion: 1 })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect((await ruleOf('race'))?.version).toBe(2);
  });

  it('shows the built-in rules of ERROR_LOG_NOISE_CODES; a deleted one stays deleted, and a deletion is kept in the history', async () => {
    expect(await ruleOf('default-stale-event')).toMatchObject({ source: 'default', version: 0, match: { code: 'stale_event' } });
    const deleted = await operator.call('DELETE', '/v1/noise-rules/default-stale-event');
    expect(deleted).toMatchObject({ status: 200, body: { version: 1, body: null } });
    expect(await ruleOf('default-stale-event')).toBeUndefined();
    expect((await operator.call('DELETE', '/v1/noise-rules/default-stale-event')).body.version).toBe(1);
    const history = await operator.call('GET', '/v1/noise-rules/default-stale-event/history');
    expect(history.body.items[0]).toMatchObject({ action: 'deleted', after: null, operator: 'local-operator' });
    expect((await operator.call('DELETE', '/v1/noise-rules/never-was')).status).toBe(404);
    const recreated = await operator.call('PUT', '/v1/noise-rules/default-stale-event', { match: { code: 'stale_event', system: 'customers-portal' }, reason: 'only the portal' });
    expect(recreated).toMatchObject({ status: 201, body: { version: 2 } });
  });

  it('refuses a rule that matches nothing in particular, or a bad id, naming the fields', async () => {
    const empty = await operator.call('PUT', '/v1/noise-rules/everything', { match: {}, reason: 'x' });
    expect(empty.status).toBe(400);
    expect(JSON.stringify(empty.body.error.details)).toContain('at least one');
    expect((await operator.call('PUT', '/v1/noise-rules/Not_A_Slug', { match: { code: 'x' }, reason: 'x' })).status).toBe(400);
    expect((await client(runtime, 'service').call('GET', '/v1/noise-rules')).status).toBe(403);
  });

  it('silences the next failure of its code: not stored, not announced, counted on the rule', async () => {
    await finding('trial_not_ended', 'subscription:N-1');
    expect(await records('trial_not_ended')).toHaveLength(1);
    const before = slack.messages.length;

    const saved = await operator.call('PUT', '/v1/noise-rules/trials-noise', { match: { code: 'trial_not_ended', flow: 'reconciliation' }, reason: 'trials are migrated' });
    expect(saved.status).toBe(201);
    await finding('trial_not_ended', 'subscription:N-2');
    await finding('trial_not_ended', 'subscription:N-1');

    const after = await records('trial_not_ended');
    expect(after.map((r) => r.subject)).toEqual(['subscription:N-1']);
    expect(after[0]!.occurrences).toBe(1);
    expect(slack.messages.length).toBe(before);
    const rule = await ruleOf('trials-noise');
    expect(rule).toMatchObject({ matched: 2, active: true });
    expect(rule?.lastMatchedAt).toEqual(expect.any(String));

    // An expired rule silences nothing.
    await operator.call('PUT', '/v1/noise-rules/trials-noise', { match: { code: 'trial_not_ended', flow: 'reconciliation' }, reason: 'over', expiresAt: '2020-01-01T00:00:00Z' });
    await finding('trial_not_ended', 'subscription:N-3');
    expect((await records('trial_not_ended')).map((r) => r.subject).sort()).toEqual(['subscription:N-1', 'subscription:N-3']);
    expect(await ruleOf('trials-noise')).toMatchObject({ matched: 2, active: false });
  });

  it("costs the writer one Query of the rules per event; a silenced event is one transaction (marker and counter), a redelivery of it writes nothing more", async () => {
    await operator.call('PUT', '/v1/noise-rules/cost-noise', { match: { code: 'cost_noise' }, reason: 'measured' });
    const deps = defaultWriterDeps({ send: async () => 'sent' });
    const event = (code: string, id = eventId(code)) => ({ id, source: 'provisioning-service', 'detail-type': 'Audit Finding', time: new Date().toISOString(), detail: { code, subject: 's', message: 'm', payload: {}, asOf: today() } });
    await recordFailure(event('cost_kept'), deps);

    const counter = countDynamoDbCalls(ddb());
    try {
      const silenced = event('cost_noise');
      expect(await recordFailure(silenced, deps)).toMatchObject({ outcome: 'dropped', ruleId: 'cost-noise' });
      expect(counter.counts().byOperation).toEqual({ Query: 1, TransactWriteItems: 1 });
      counter.reset();
      await recordFailure(silenced, deps);
      expect(counter.counts().byOperation).toEqual({ Query: 1, TransactWriteItems: 1 });
      expect((await readCount('cost-noise')).matched).toBe(1);
      counter.reset();
      expect(await recordFailure(event('cost_kept'), deps)).toMatchObject({ outcome: 'repeated' });
      expect(counter.counts().byOperation.Query).toBe(1);
    } finally {
      counter.detach();
    }
  });

  it('counts a redelivered event once on its rule', async () => {
    const id = eventId('silenced');
    expect(await countSilenced('redelivery', id)).toBe('counted');
    expect(await countSilenced('redelivery', id)).toBe('duplicate');
    expect((await readCount('redelivery')).matched).toBe(1);
  });
});

describe('Runbooks', () => {
  it('ships a runbook for the service codes and shows it on the record, with the links to its systems of record', async () => {
    await finding('broken_association', 'S-42');
    const [record] = await records('broken_association');
    const full = await operator.call('GET', `/v1/errors/${record!.id}`);
    expect(full.body.runbook).toMatchObject({ code: 'broken_association', source: 'default', title: expect.stringContaining('Audit'), owner: 'Provisioning team' });
    expect(full.body.runbook.steps).toContain('Force reassociation');
    // Audit findings carry no subjectKind: no link.
    expect(full.body.links).toEqual([]);
    // Slack linked the runbook's admin view.
    expect(slack.messages.at(-1)!.text).toContain(`${runtime.url}/admin#/runbooks/broken_association|Runbook: Audit`);
  });

  it('keeps saved runbooks with their history; a saved one replaces the shipped one on the record', async () => {
    const body = { title: 'Broken association: our way', steps: '## Do\n- reassociate', owner: 'Team Fulfillment', links: [{ title: 'Wiki', url: 'https://wiki.example.com/broken' }] };
    const saved = await operator.call('PUT', '/v1/runbooks/broken_association', { ...body, expectedVersion: 0 });
    expect(saved).toMatchObject({ status: 201, body: { id: 'broken_association', version: 1, updatedBy: 'local-operator' } });
    expect((await operator.call('PUT', '/v1/runbooks/broken_association', body)).body.version).toBe(1);
    expect((await operator.call('PUT', '/v1/runbooks/broken_association', { ...body, title: 'x', expectedVersion: 0 })).status).toBe(409);
    await operator.call('PUT', '/v1/runbooks/broken_association', { ...body, steps: '## Do\n- reassociate\n- tell Sales' });

    const read = await operator.call('GET', '/v1/runbooks/broken_association');
    expect(read.body).toMatchObject({ code: 'broken_association', source: 'stored', version: 2, owner: 'Team Fulfillment', steps: '## Do\n- reassociate\n- tell Sales' });
    const history = await operator.call('GET', '/v1/runbooks/broken_association/history');
    expect(history.body.items.map((e: { version: number; operator: string }) => [e.version, e.operator])).toEqual([
      [2, 'local-operator'],
      [1, 'local-operator'],
    ]);
    const list = await operator.call('GET', '/v1/runbooks');
    expect(list.body.items.find((r: { code: string }) => r.code === 'broken_association')).toMatchObject({ source: 'stored', title: body.title, steps: '' });
    expect(list.body.items.find((r: { code: string }) => r.code === 'renewal_not_processed')).toMatchObject({ source: 'default', version: 0 });

    const [record] = await records('broken_association');
    const full = await operator.call('GET', `/v1/errors/${record!.id}`);
    expect(full.body.runbook).toEqual({ code: 'broken_association', source: 'stored', title: body.title, steps: '## Do\n- reassociate\n- tell Sales', owner: 'Team Fulfillment', links: body.links });
  });

  it('answers 404 for a code without a runbook, and 400 for a bad body', async () => {
    expect((await operator.call('GET', '/v1/runbooks/VALIDATION_ERROR')).status).toBe(404);
    const bad = await operator.call('PUT', '/v1/runbooks/VALIDATION_ERROR', { title: 'x', steps: 's', links: [{ title: 'x', url: 'javascript:alert(1)' }] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error.details)).toContain('links');
  });

  it('links each code’s runbook in the digest issue', async () => {
    const run = await operator.call('POST', '/v1/jobs/daily-digest/runs', { asOf: tomorrow() });
    expect(run.status).toBe(200);
    const description = gitlab.issues.at(-1)!.description;
    expect(description).toContain(`Runbook: [\`Broken association: our way\`](${runtime.url}/admin#/runbooks/broken_association)`);
    expect(description).toContain(`(${runtime.url}/admin#/runbooks/trial_not_ended)`);
  });
});
