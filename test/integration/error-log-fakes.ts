/**
 * Real HTTP stand-ins for the error log's third parties, on 127.0.0.1: a Slack incoming-webhook
 * receiver and the slice of GitLab's REST API v4 the digests use (create and search issues).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Runtime } from '../../local/runtime.js';
import { busClient, client, startTestRuntime } from './helpers.js';
import type { Client } from './helpers.js';

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

export interface SlackReceiver {
  url: string;
  messages: Array<{ text: string }>;
  /** Answer this status (e.g. 500 = Slack is down) until set back to 200. */
  status: number;
  /** Requests received, including the failed ones. */
  attempts: number;
  close(): Promise<void>;
}

export async function startSlackReceiver(): Promise<SlackReceiver> {
  const receiver = { messages: [] as Array<{ text: string }>, status: 200, attempts: 0 } as SlackReceiver;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      receiver.attempts++;
      const body = (await readJson(req)) as { text: string };
      if (req.method !== 'POST' || req.url !== '/services/T000/B000/XXXX') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no_service');
        return;
      }
      if (receiver.status !== 200) {
        res.writeHead(receiver.status, { 'content-type': 'text/plain' }).end('service_unavailable');
        return;
      }
      receiver.messages.push(body);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    })();
  });
  const base = await listen(server);
  receiver.url = `${base}/services/T000/B000/XXXX`;
  receiver.close = () => close(server);
  return receiver;
}

export interface GitLabIssue {
  iid: number;
  title: string;
  description: string;
  labels: string[];
  state: 'opened' | 'closed';
  web_url: string;
}

export interface GitLabStandIn {
  url: string;
  projectId: string;
  token: string;
  issues: GitLabIssue[];
  /** Create requests received. */
  creates: number;
  close(): Promise<void>;
}

/** GitLab's REST API v4 `GET|POST /api/v4/projects/:id/issues` (id URL-encoded), with PRIVATE-TOKEN auth. */
export async function startGitLabStandIn(projectId = 'provisioning/errors', token = 'glpat-test-token-000000'): Promise<GitLabStandIn> {
  const stand = { projectId, token, issues: [] as GitLabIssue[], creates: 0 } as GitLabStandIn;
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.headers['private-token'] !== token) return json(401, { message: '401 Unauthorized' });
      const match = /^\/api\/v4\/projects\/([^/]+)\/issues$/.exec(url.pathname);
      if (!match || decodeURIComponent(match[1]!) !== projectId) return json(404, { message: '404 Project Not Found' });
      if (req.method === 'POST') {
        stand.creates++;
        const body = (await readJson(req)) as { title?: string; description?: string; labels?: string };
        if (!body.title) return json(400, { message: 'title is missing' });
        const iid = stand.issues.length + 1;
        const issue: GitLabIssue = {
          iid,
          title: body.title,
          description: body.description ?? '',
          labels: (body.labels ?? '').split(',').filter(Boolean),
          state: 'opened',
          web_url: `https://gitlab.example.com/${projectId}/-/issues/${iid}`,
        };
        stand.issues.push(issue);
        return json(201, issue);
      }
      if (req.method === 'GET') {
        const search = url.searchParams.get('search') ?? '';
        const found = stand.issues.filter((i) => search.split(/\s+/).every((word) => i.title.toLowerCase().includes(word.toLowerCase())));
        return json(200, found);
      }
      return json(405, { message: 'method not allowed' });
    })();
  });
  stand.url = await listen(server);
  stand.close = () => close(server);
  return stand;
}

/** A runtime whose error log announces to a Slack receiver, with the clients the error-log tests use. */
export interface SlackRuntime {
  runtime: Runtime;
  slack: SlackReceiver;
  operator: Client;
  service: Client;
  events: EventBridgeClient;
  stop(): Promise<void>;
}

/** Starts a Slack receiver, then a test runtime that announces to it (SLACK_WEBHOOK_URL, metrics off). */
export async function startSlackRuntime(): Promise<SlackRuntime> {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const slack = await startSlackReceiver();
  process.env.SLACK_WEBHOOK_URL = slack.url;
  const runtime = await startTestRuntime();
  const events = busClient(runtime);
  return {
    runtime,
    slack,
    operator: client(runtime, 'operator'),
    service: client(runtime, 'service'),
    events,
    stop: async () => {
      events.destroy();
      await runtime.stop();
      await slack.close();
      delete process.env.SLACK_WEBHOOK_URL;
    },
  };
}
