/**
 * Secrets never reach a log line: a full run of `npm start` (every kind of request, a failure that
 * reaches Slack, a digest that reaches GitLab, the webhook with a right and a wrong secret, wrong
 * tokens) at DEBUG level, then a grep of everything it printed.
 */
import { spawn } from 'node:child_process';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { busClient } from './helpers.js';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, freePort } from '../../local/runtime.js';
import { startGitLabStandIn, startSlackReceiver } from './error-log-fakes.js';
import type { GitLabStandIn, SlackReceiver } from './error-log-fakes.js';
import { recordSection } from './reliability-report.js';

const SECRETS = {
  PROVISIONING_SERVICE_TOKEN: 'svc-Secret-7f3a9c1e5b2d4a6c8e0f9a8b7c6d',
  PROVISIONING_OPERATOR_TOKEN: 'op-Secret-1b2c3d4e5f60718293a4b5c6d7e8',
  GITLAB_TOKEN: 'glpat-Secret-a1b2c3d4e5f6a7b8',
  GITLAB_WEBHOOK_SECRET: 'hook-Secret-0a9b8c7d6e5f4a3b',
};

let slack: SlackReceiver;
let gitlab: GitLabStandIn;
let output = '';

beforeAll(async () => {
  slack = await startSlackReceiver();
  gitlab = await startGitLabStandIn('provisioning/errors', SECRETS.GITLAB_TOKEN);
});
afterAll(async () => {
  await slack?.close();
  await gitlab?.close();
});

describe('Secrets', () => {
  it('never prints a token, the Slack URL or the GitLab token in a full run', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts', '--in-memory'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...SECRETS,
        PORT: String(port),
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
        // The EMF lines are checked too (test/setup.ts disables them for in-process handlers).
        POWERTOOLS_METRICS_DISABLED: 'false',
        SLACK_WEBHOOK_URL: slack.url,
        GITLAB_URL: gitlab.url,
        GITLAB_PROJECT_ID: gitlab.projectId,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 45_000;
    while (!(await fetch(`${base}/health`).then((r) => r.ok, () => false))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(output);
      await new Promise((r) => setTimeout(r, 200));
    }
    const call = (method: string, route: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) =>
      fetch(`${base}${route}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: await r.text() }));
    const svc = SECRETS.PROVISIONING_SERVICE_TOKEN;
    const op = SECRETS.PROVISIONING_OPERATOR_TOKEN;

    try {
      expect((await call('POST', '/v1/subscriptions', svc, { eventId: 'sec-1', occurredAt: '2026-01-01T00:00:00Z', subscriptionId: 'S-sec', namespaceId: 9100, planCode: 'premium', seats: 3, startDate: '2026-01-01', endDate: '2027-01-01' })).status).toBe(200);
      expect((await call('PUT', '/v1/namespaces/9100/seat-usage', svc, { eventId: 'sec-2', occurredAt: '2026-02-01T00:00:00Z', seatsInUse: 5, measuredAt: '2026-02-01T00:00:00Z' })).status).toBe(200);
      expect((await call('GET', '/v1/subscriptions/S-sec/history', svc)).status).toBe(200);
      expect((await call('GET', '/v1/flags', svc)).status).toBe(403);
      expect((await call('GET', '/v1/flags', `${op}x`)).status).toBe(401);
      expect((await call('PUT', '/v1/flags/account_data_persistence', op, { enabled: true })).status).toBeLessThan(300);
      // A failing event: its failure record reaches the error log, which tells Slack.
      const put = await busClient({ url: base, tokens: { service: svc } }).send(
        new PutEventsCommand({ Entries: [{ EventBusName: 'provisioning', Source: 'customers-portal', DetailType: 'Subscription Renewed', Detail: JSON.stringify({ eventId: 'sec-3', occurredAt: '2026-03-01T00:00:00Z', subscriptionId: 'S-unknown', startDate: '2027-01-01', endDate: '2028-01-01' }) }] }),
      );
      expect(put.FailedEntryCount).toBe(0);
      const until = Date.now() + 20_000;
      while (!slack.messages.length && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      expect(slack.messages.length).toBeGreaterThan(0);
      // The daily digest covers the day before asOf: ask for tomorrow's, which covers today.
      const digest = await call('POST', '/v1/jobs/daily-digest/runs', op, { asOf: new Date(Date.now() + 86_400_000).toISOString().slice(0, 10) });
      expect(digest.status).toBe(200);
      expect(gitlab.creates, digest.body).toBeGreaterThan(0);
      expect((await call('POST', '/v1/webhooks/gitlab', undefined, { object_kind: 'issue' }, { 'x-gitlab-token': 'wrong' })).status).toBe(403);
      const hook = await call('POST', '/v1/webhooks/gitlab', undefined, { object_kind: 'issue', object_attributes: { action: 'close', iid: 1, url: gitlab.issues[0]?.web_url } }, { 'x-gitlab-token': SECRETS.GITLAB_WEBHOOK_SECRET, 'x-gitlab-event': 'Issue Hook' });
      expect(hook.status).toBeLessThan(300);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }

    const lines = output.split('\n');
    const leaks = lines.filter((line) => [...Object.values(SECRETS), slack.url, '/services/T000/B000/XXXX'].some((secret) => line.includes(secret)));
    expect(leaks).toEqual([]);
    expect(lines.filter((l) => l.startsWith('{')).length).toBeGreaterThan(10);
    recordSection('secrets', {
      order: 5,
      title: 'Secrets',
      figures: [
        ['secrets planted (2 tokens, the Slack URL, the GitLab token, the webhook secret)', 5],
        ['log lines of a full DEBUG run containing one', 0],
      ],
      notes: ['In AWS the Slack URL, the GitLab token and the webhook secret come from Secrets Manager; service routes use IAM and operator routes a JWT, so no bearer token exists there.'],
    });
  });
});
