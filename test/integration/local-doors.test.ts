import { request } from 'node:http';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { MAX_CONCURRENT_DELIVERIES } from '../../local/bus.js';
import { busClient, startTestRuntime } from './helpers.js';

/** The local runtime's doors: a signed bus, loopback Host names only, bodies refused above their route's limit. */

let runtime: Runtime;

beforeAll(async () => {
  runtime = await startTestRuntime();
});

afterAll(async () => {
  await runtime?.stop();
});

/** A raw HTTP call, so that Host and Content-Length can be what a hostile client sends. */
function raw(method: string, path: string, headers: Record<string, string>, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${runtime.url}${path}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    // A body larger than declared is never sent: the answer must come from the header alone.
    req.end(body);
  });
}

const entry = (eventId: string) => ({
  EventBusName: 'provisioning',
  Source: 'customers-portal',
  DetailType: 'Seat Usage Reported',
  Detail: JSON.stringify({ eventId, occurredAt: '2026-02-01T00:00:00Z', namespaceId: 424242, seatsInUse: 3, measuredAt: '2026-02-01T00:00:00Z' }),
});

describe('The local bus (PutEvents)', () => {
  it('accepts a PutEvents signed with provisioning-local and the service token', async () => {
    const out = await busClient(runtime).send(new PutEventsCommand({ Entries: [entry('doors-1')] }));
    expect(out.FailedEntryCount).toBe(0);
  });

  it('refuses an unsigned PutEvents as EventBridge does, delivering nothing', async () => {
    const before = runtime.bus.counters.accepted;
    const answer = await raw('POST', '/eventbridge', { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' }, JSON.stringify({ Entries: [entry('doors-2')] }));
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toEqual({ __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
    expect(runtime.bus.counters.accepted).toBe(before);
  });

  it('refuses a wrong secret (InvalidSignatureException) and an unknown access key (UnrecognizedClientException)', async () => {
    await expect(busClient(runtime, 'not-the-service-token').send(new PutEventsCommand({ Entries: [entry('doors-3')] }))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      $metadata: { httpStatusCode: 400 },
    });
    const stranger = busClient(runtime);
    stranger.config.credentials = async () => ({ accessKeyId: 'AKIASTRANGER', secretAccessKey: runtime.tokens.service });
    await expect(stranger.send(new PutEventsCommand({ Entries: [entry('doors-4')] }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
  });

  it('refuses a request declaring a body above 512 KB before reading it', async () => {
    const answer = await raw('POST', '/eventbridge', { 'content-length': String(600 * 1024), 'x-amz-target': 'AWSEvents.PutEvents' });
    expect(answer.status).toBe(413);
  });

  it(`runs at most ${MAX_CONCURRENT_DELIVERIES} deliveries at once`, async () => {
    const events = busClient(runtime);
    await Promise.all(Array.from({ length: 5 }, (_, i) => events.send(new PutEventsCommand({ Entries: Array.from({ length: 10 }, (__, j) => entry(`doors-burst-${i}-${j}`)) }))));
    await runtime.settle();
    expect(runtime.bus.peakConcurrentDeliveries).toBeGreaterThan(1);
    expect(runtime.bus.peakConcurrentDeliveries).toBeLessThanOrEqual(MAX_CONCURRENT_DELIVERIES);
  });
});

describe('Host header (DNS rebinding)', () => {
  it('refuses a Host that is not a loopback name, on the API and the bus', async () => {
    for (const path of ['/health', '/v1/namespaces/1/subscription', '/eventbridge']) {
      const answer = await raw(path === '/eventbridge' ? 'POST' : 'GET', path, { host: 'rebound.example:3000', authorization: `Bearer ${runtime.tokens.service}` });
      expect(answer.status, path).toBe(403);
    }
  });

  it('answers localhost and 127.0.0.1', async () => {
    const port = new URL(runtime.url).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) expect((await raw('GET', '/health', { host })).status, host).toBe(200);
  });
});

describe('Request bodies', () => {
  it('refuses a body declared above the route limit before the credentials are even checked', async () => {
    const answer = await raw('POST', '/v1/subscriptions', { 'content-type': 'application/json', 'content-length': String(300 * 1024) });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.code).toBe('payload_too_large');
  });

  it('refuses a body on a public route (the admin page files take none) and on the webhook above its limit', async () => {
    expect((await raw('GET', '/admin', { 'content-type': 'text/plain', 'content-length': '5' }, 'hello')).status).toBe(413);
    expect((await raw('POST', '/v1/webhooks/gitlab', { 'content-type': 'application/json', 'content-length': String(300 * 1024) })).status).toBe(413);
  });

  it('refuses a body that grows past the limit without a Content-Length (chunked)', async () => {
    const big = 'x'.repeat(300 * 1024);
    const answer = await raw('POST', '/v1/subscriptions', { 'content-type': 'application/json', 'transfer-encoding': 'chunked', authorization: `Bearer ${runtime.tokens.service}` }, big);
    expect(answer.status).toBe(413);
  });
});
