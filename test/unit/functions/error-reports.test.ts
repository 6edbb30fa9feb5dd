import { readFileSync } from 'node:fs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../../functions/error-reports/handler.js';
import { errorIdOf, reportFingerprint } from '../../../shared/error-log/domain/sources.js';
import { revenueErrorReport } from '../../../shared/error-log/domain/report.js';
import type { HttpEvent } from '../../../shared/platform/http/handler.js';

const eventBridge = mockClient(EventBridgeClient);

beforeAll(() => {
  process.env.AWS_REGION ??= 'eu-west-1';
});

afterEach(() => {
  eventBridge.reset();
});

const report = (JSON.parse(readFileSync(new URL('../../fixtures/events/revenue-error-reported.json', import.meta.url), 'utf8')) as { detail: Record<string, unknown> }).detail;

const request = (body: unknown): HttpEvent =>
  ({
    version: '2.0',
    routeKey: 'POST /v1/errors',
    rawPath: '/v1/errors',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: 'req-1', routeKey: 'POST /v1/errors', http: { method: 'POST', path: '/v1/errors', sourceIp: '10.1.2.3' }, authorizer: { iam: { userArn: 'arn:aws:iam::1:user/portal' } } },
  }) as HttpEvent;

const context = { functionName: 'provisioning-error-reports', awsRequestId: 'aws-1' } as Context;
const invoke = async (body: unknown) => {
  const res = (await handler(request(body), context)) as { statusCode: number; body: string; headers: Record<string, string> };
  return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, any>, headers: res.headers };
};

describe('Function: error-reports', () => {
  it('puts the validated report on the bus as Revenue Error Reported from provisioning-service and answers 202 with the record id', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const res = await invoke(report);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: errorIdOf(reportFingerprint(revenueErrorReport.parse(report))), eventId: report.eventId });
    const entries = eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ EventBusName: 'provisioning', Source: 'provisioning-service', DetailType: 'Revenue Error Reported' });
    expect(JSON.parse(entries[0]!.Detail!)).toEqual(report);
  });

  it('answers 400 naming the fields and publishes nothing for a bad body', async () => {
    const res = await invoke({ ...report, flow: 'checkout', code: 'not a code' });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['code', 'flow']);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('answers 503 with Retry-After when the bus refuses the entry (the caller sends the same eventId again)', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
    const res = await invoke(report);
    expect(res.status).toBe(503);
    expect(res.headers['Retry-After']).toBe('5');
    expect(JSON.stringify(res.body)).not.toContain('try again');
  });
});
