/**
 * Digests and the GitLab webhook end to end, against a GitLab API stand-in on 127.0.0.1 (real HTTP
 * to GitLab's REST API v4): one issue per job and period however often it runs, the listed errors
 * linked to it, and closing it resolves them.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { ddb } from '../../shared/platform/dynamodb/client.js';
import { startGitLabStandIn } from './error-log-fakes.js';
import type { GitLabStandIn } from './error-log-fakes.js';
import { client, startTestRuntime, busClient } from './helpers.js';
import type { Client } from './helpers.js';

let runtime: Runtime;
let operator: Client;
let gitlab: GitLabStandIn;
let events: EventBridgeClient;

const WEBHOOK_SECRET = 'gitlab-webhook-secret-for-tests';
const today = () => new Date().toISOString().slice(0, 10);
const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  gitlab = await startGitLabStandIn();
  Object.assign(process.env, { GITLAB_URL: gitlab.url, GITLAB_TOKEN: gitlab.token, GITLAB_PROJECT_ID: gitlab.projectId, GITLAB_WEBHOOK_SECRET: WEBHOOK_SECRET });
  delete process.env.SLACK_WEBHOOK_URL;
  runtime = await startTestRuntime();
  operator = client(runtime, 'operator');
  events = busClient(runtime);
});

afterAll(async () => {
  events?.destroy();
  await runtime?.stop();
  await gitlab?.close();
  for (const key of ['GITLAB_URL', 'GITLAB_TOKEN', 'GITLAB_PROJECT_ID', 'GITLAB_WEBHOOK_SECRET']) delete process.env[key];
});

async function finding(code: string, subject: string): Promise<string> {
  await events.send(
    new PutEventsCommand({
      Entries: [{ EventBusName: 'provisioning', Source: 'provisioning-service', DetailType: 'Audit Finding', Detail: JSON.stringify({ code, subject, message: `${code}: ${subject}`, payload: {}, asOf: today() }) }],
    }),
  );
  await runtime.bus.drain();
  const list = await operator.call('GET', '/v1/errors?limit=100');
  return (list.body.items as Array<{ id: string; subject: string; code: string }>).find((r) => r.code === code && r.subject === subject)!.id;
}

/** An open error created on a past day (runs may not be for days after tomorrow: past periods get their errors this way). */
async function pastError(id: string, createdAt: string): Promise<void> {
  await ddb().send(
    new PutCommand({
      TableName: runtime.tables.errors,
      Item: {
        pk: `ERR#${id}`, sk: 'RECORD', entity: 'ERROR', id, fingerprint: `fp-${id}`, code: 'renewal_not_processed', subject: `subscription:${id}`, message: 'renewal not processed',
        errorType: 'AuditFinding', source: 'audit', status: 'open', backtrace: [], payload: null, occurrences: 1, firstSeenAt: createdAt, lastSeenAt: createdAt,
        createdAt, updatedAt: createdAt, notification: 'sent', changes: [], revision: 0,
      },
    }),
  );
}

const webhook = (body: unknown, token: string | null = WEBHOOK_SECRET) =>
  client(runtime).call('POST', '/v1/webhooks/gitlab', body, { token: null, headers: { 'x-gitlab-event': 'Issue Hook', ...(token === null ? {} : { 'x-gitlab-token': token }) } });

const closed = (url: string, iid: number) => ({ object_kind: 'issue', event_type: 'issue', user: { id: 1, name: 'Jane Doe', email: 'jane@example.com' }, object_attributes: { iid, url, state: 'closed', action: 'close' } });

describe('Digests', () => {
  let ids: string[] = [];
  let issueUrl: string;

  it("opens one GitLab issue listing the period's errors by code, and links them", async () => {
    ids = [await finding('renewal_not_processed', 'subscription:D-1'), await finding('renewal_not_processed', 'subscription:D-2'), await finding('trial_not_ended', 'namespace:D-3')];
    const run = await operator.call('POST', '/v1/jobs/daily-digest/runs', { asOf: tomorrow() });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ job: 'daily-digest', period: today(), status: 'created', errors: 3, new: 3, byCode: { renewal_not_processed: 2, trial_not_ended: 1 }, linked: 3 });
    expect(gitlab.creates).toBe(1);
    const issue = gitlab.issues[0]!;
    issueUrl = issue.web_url;
    expect(run.body.issue).toEqual({ iid: issue.iid, url: issueUrl });
    expect(issue.title).toContain(`digest:daily-digest:${today()}`);
    expect(issue.labels).toEqual(['provisioning-errors', 'digest']);
    expect(issue.description).toMatch(/### `renewal_not_processed` — 2 errors[\s\S]*### `trial_not_ended` — 1 error/);
    for (const id of ids) {
      expect(issue.description).toContain(`${runtime.url}/admin#/errors/${id}`);
      const record = await operator.call('GET', `/v1/errors/${id}`);
      expect(record.body.gitlabIssueLink).toBe(issueUrl);
      expect(record.body.changes.at(-1)).toMatchObject({ field: 'gitlabIssueLink', to: issueUrl, actor: 'job:daily-digest' });
    }
  });

  it('opens no second issue for the same period, run again or concurrently', async () => {
    const again = await operator.call('POST', '/v1/jobs/daily-digest/runs', { asOf: tomorrow() });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'already_done', issue: { url: issueUrl } });
    const racing = await Promise.all([1, 2, 3].map(() => operator.call('POST', '/v1/jobs/daily-digest/runs', { asOf: tomorrow() })));
    expect(racing.every((r) => r.status === 200 && r.body.status === 'already_done')).toBe(true);
    expect(gitlab.creates).toBe(1);
  });

  it('lets concurrent first runs of a period open one issue: one runs, the others are told it is under way', async () => {
    // ISO week 2020-W01 is Monday 2019-12-30 to Sunday 2020-01-05: the error created in it is listed.
    await pastError('past-week-1', '2020-01-01T10:00:00.000Z');
    const racing = await Promise.all([1, 2, 3].map(() => operator.call('POST', '/v1/jobs/weekly-digest/runs', { asOf: '2020-01-08' })));
    const statuses = racing.map((r) => (r.status === 200 ? r.body.status : r.body.error.code));
    expect(statuses.filter((s) => s === 'created')).toHaveLength(1);
    expect(statuses.every((s) => ['created', 'already_done', 'digest_in_progress'].includes(s))).toBe(true);
    expect(gitlab.issues.filter((i) => i.title.includes('digest:weekly-digest:2020-W01'))).toHaveLength(1);
  });

  it('adopts the issue a crashed run opened instead of opening a second one', async () => {
    // The error of the week above is still open on that day: the digest lists it.
    const period = '2020-05-01';
    const marker = `digest:daily-digest:${period}`;
    // A run opened the issue, then died before recording it; its lease has expired.
    gitlab.issues.push({ iid: 99, title: `Provisioning errors [${marker}]`, description: '', labels: [], state: 'opened', web_url: 'https://gitlab.example.com/provisioning/errors/-/issues/99' });
    await ddb().send(
      new PutCommand({
        TableName: runtime.tables.errors,
        Item: { pk: `DIGEST#daily-digest#${period}`, sk: 'RUN', job: 'daily-digest', period, state: 'started', runId: 'crashed', leaseUntil: '2000-01-01T00:00:00.000Z' },
      }),
    );
    const creates = gitlab.creates;
    const run = await operator.call('POST', '/v1/jobs/daily-digest/runs', { asOf: '2020-05-02' });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ status: 'adopted', issue: { iid: 99 } });
    expect(gitlab.creates).toBe(creates);
  });

  it('runs on its schedule with the Scheduled Event, for the day it fires', async () => {
    const result = await runtime.scheduler.runNow('weekly-digest', new Date('2031-03-03T06:00:00Z'));
    expect(result.ok).toBe(true);
    expect(result.result).toMatchObject({ job: 'weekly-digest', period: '2031-W09', from: '2031-02-24T00:00:00.000Z', to: '2031-03-03T00:00:00.000Z' });
    expect(runtime.scheduler.schedules).toEqual(
      expect.arrayContaining([
        { function: 'daily-digest', cron: 'cron(0 6 * * ? *)', next: expect.stringMatching(/T06:00:00.000Z$/) },
        { function: 'weekly-digest', cron: 'cron(0 6 ? * MON *)', next: expect.stringMatching(/T06:00:00.000Z$/) },
      ]),
    );
  });

  it('answers 404 for an unknown job, 400 for a bad asOf or one after tomorrow, 403 for a service token', async () => {
    expect((await operator.call('POST', '/v1/jobs/nightly-party/runs', {})).status).toBe(404);
    const future = await operator.call('POST', '/v1/jobs/weekly-digest/runs', { asOf: '2099-01-07' });
    expect(future.status).toBe(400);
    expect(future.body.error.details).toEqual([{ field: 'asOf', message: expect.stringContaining(`Must be ${tomorrow()} (tomorrow, UTC) or earlier`) }]);
    expect(gitlab.issues.filter((i) => i.title.includes('2099'))).toEqual([]);
    expect((await operator.call('POST', '/v1/jobs/daily-digest/runs', { asOf: '2026-13-01' })).status).toBe(400);
    expect((await operator.call('POST', '/v1/jobs/daily-digest/runs', { asOf: '2026-01-01', extra: 1 })).status).toBe(400);
    expect((await client(runtime, 'service').call('POST', '/v1/jobs/daily-digest/runs', {})).status).toBe(403);
  });

  it('skips, saying what to set, when GitLab is not configured', async () => {
    // As after deploying without provisioning:gitlabUrl.
    const without = ({ GITLAB_URL: _url, ...environment }: Readonly<Record<string, string>>) => environment;
    const url = runtime.definitions.get('daily-digest')!.environment.GITLAB_URL!;
    await runtime.updateFunctionEnvironment('daily-digest', without);
    try {
      const run = await operator.call('POST', '/v1/jobs/daily-digest/runs', { asOf: today() });
      expect(run.status).toBe(200);
      expect(run.body).toMatchObject({ status: 'skipped' });
      expect(run.body.reason).toContain('GITLAB_URL');
    } finally {
      await runtime.updateFunctionEnvironment('daily-digest', (environment) => ({ ...environment, GITLAB_URL: url }));
    }
  });

  describe('GitLab webhook', () => {
    it('refuses a missing X-Gitlab-Token with 401, a wrong one with 403 (its authorizer), and changes nothing', async () => {
      expect((await webhook(closed(issueUrl, 1), null)).status).toBe(401);
      expect((await webhook(closed(issueUrl, 1), 'wrong')).status).toBe(403);
      expect((await operator.call('GET', `/v1/errors/${ids[0]}`)).body.status).toBe('open');
    });

    it('ignores issue events other than a close', async () => {
      const reopened = await webhook({ ...closed(issueUrl, 1), object_attributes: { iid: 1, url: issueUrl, state: 'opened', action: 'reopen' } });
      expect(reopened.status).toBe(200);
      expect(reopened.body.ignored).toBe(true);
      expect((await webhook({ object_kind: 'push' })).body.ignored).toBe(true);
    });

    it('resolves the errors linked to a closed issue along the workflow, once', async () => {
      // One of them is already being worked on.
      await operator.call('PATCH', `/v1/errors/${ids[1]}`, { status: 'needs_attention' });
      const res = await webhook(closed(issueUrl, 1));
      expect(res.status).toBe(200);
      expect(res.body.resolved.sort()).toEqual([...ids].sort());
      expect(res.body.continues).toBe(false);
      for (const id of ids) expect((await operator.call('GET', `/v1/errors/${id}`)).body.status).toBe('resolved');
      const worked = (await operator.call('GET', `/v1/errors/${ids[1]}`)).body;
      expect(worked.changes.slice(-2)).toMatchObject([
        { field: 'status', from: 'needs_attention', to: 'in_progress', actor: 'gitlab-webhook' },
        { field: 'status', from: 'in_progress', to: 'resolved', actor: 'gitlab-webhook' },
      ]);
      expect(JSON.stringify(worked)).not.toContain('jane@example.com');

      const redelivered = await webhook(closed(issueUrl, 1));
      expect(redelivered.body).toMatchObject({ resolved: [], alreadyResolved: expect.arrayContaining(ids) });
    });
  });
});
