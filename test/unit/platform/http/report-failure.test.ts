import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISH_TIMEOUT_MS, provisioningFailedDetail } from '../../../../shared/platform/http/report-failure.js';
import { provisioningFailed } from '../../../../shared/platform/failure-events.js';
import { ApplicationError } from '../../../../shared/platform/errors.js';
import type { ErrorKind } from '../../../../shared/platform/errors.js';
import { StoreError, StoreUnavailableError } from '../../../../shared/platform/dynamodb/errors.js';
import { HTTP_STATUS } from '../../../../shared/platform/http/errors.js';
import { httpHandler } from '../../../../shared/platform/http/handler.js';
import type { HttpEvent } from '../../../../shared/platform/http/handler.js';

const eventBridge = mockClient(EventBridgeClient);

beforeAll(() => {
  process.env.AWS_REGION ??= 'eu-west-1';
});

afterEach(() => {
  eventBridge.reset();
});

const request = (): HttpEvent =>
  ({
    version: '2.0',
    routeKey: 'POST /v1/subscriptions/{subscriptionId}/renewals',
    rawPath: '/v1/subscriptions/A-S1/renewals',
    rawQueryString: 'dryRun=false',
    headers: { authorization: 'Bearer service-token-secret', 'content-type': 'application/json' },
    queryStringParameters: { dryRun: 'false' },
    pathParameters: { subscriptionId: 'A-S1' },
    body: JSON.stringify({ eventId: 'r-1', seats: 5, contactEmail: 'jane@example.com' }),
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req-1',
      routeKey: 'POST /v1/subscriptions/{subscriptionId}/renewals',
      http: { method: 'POST', path: '/v1/subscriptions/A-S1/renewals', sourceIp: '10.1.2.3' },
      authorizer: { iam: { userArn: 'arn:aws:iam::1:user/svc' } },
    },
  }) as HttpEvent;

const context = { functionName: 'ProvisioningService-subscription-renewed', awsRequestId: 'aws-1' } as Context;

const sentDetails = () =>
  eventBridge
    .commandCalls(PutEventsCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => ({ detailType: entry.DetailType, source: entry.Source, detail: JSON.parse(entry.Detail!) as Record<string, unknown> }));

describe('Function: provisioningFailedDetail', () => {
  it('describes the failure by route, ids and the redacted body, never the headers', () => {
    const detail = provisioningFailedDetail(new TypeError("Cannot read properties of undefined (reading 'seats')"), request(), { code: 'internal_error', requestId: 'req-1', functionName: 'fn', now: new Date('2026-03-01T00:00:00Z') });
    expect(provisioningFailed.safeParse(detail).success).toBe(true);
    expect(detail).toMatchObject({
      code: 'internal_error',
      errorType: 'TypeError',
      subject: 'POST /v1/subscriptions/{subscriptionId}/renewals',
      requestId: 'req-1',
      occurredAt: '2026-03-01T00:00:00.000Z',
      payload: { method: 'POST', pathParameters: { subscriptionId: 'A-S1' }, body: { eventId: 'r-1', seats: 5, contactEmail: '[redacted]' } },
    });
    expect(JSON.stringify(detail)).not.toMatch(/service-token-secret|jane@example\.com|10\.1\.2\.3/);
  });
});

describe('Function: provisioningFailedDetail (store failures)', () => {
  it('files a failure the store did not know under the SDK error it wraps', () => {
    const cause = Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
    const detail = provisioningFailedDetail(new StoreError('DynamoDB call failed', { cause }), request(), { code: 'internal_error', requestId: 'req-1' });
    expect(detail.errorType).toBe('ResourceNotFoundException');
  });

  it('names a store error of its own kind by itself', () => {
    const detail = provisioningFailedDetail(new StoreUnavailableError('DynamoDB is unavailable', { cause: new Error('ECONNREFUSED') }), request(), { code: 'unavailable', requestId: 'req-1' });
    expect(detail.errorType).toBe('StoreUnavailableError');
  });
});

describe('Function: httpHandler (server failures)', () => {
  it('publishes Provisioning Failed for a 500 and answers the 500 without internals', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const handler = httpHandler(async () => {
      throw new TypeError('boom at line 3');
    });
    const res = await handler(request(), context);
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('boom');
    expect(sentDetails()).toEqual([
      { detailType: 'Provisioning Failed', source: 'provisioning-service', detail: expect.objectContaining({ code: 'internal_error', errorType: 'TypeError', message: 'boom at line 3', functionName: 'ProvisioningService-subscription-renewed' }) },
    ]);
  });

  it('publishes the code of a 5xx application error (503 unavailable keeps its code)', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const res = await httpHandler(async () => {
      throw new StoreUnavailableError('database unavailable');
    })(request(), context);
    expect(res.statusCode).toBe(503);
    expect(sentDetails()[0]!.detail).toMatchObject({ code: 'unavailable', errorType: 'StoreUnavailableError' });
  });

  it.each([400, 401, 404, 409, 413])('never publishes for a %i', async (status) => {
    const kind = (Object.keys(HTTP_STATUS) as ErrorKind[]).find((k) => HTTP_STATUS[k] === status)!;
    class Refused extends ApplicationError {
      readonly kind = kind;
    }
    const res = await httpHandler(async () => {
      throw new Refused('refused', 'no');
    })(request(), context);
    expect(res.statusCode).toBe(status);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('still answers 500 when the bus refuses or fails', async () => {
    eventBridge.on(PutEventsCommand).rejects(new Error('AccessDenied'));
    const failing = httpHandler(async () => {
      throw new Error('x');
    });
    expect((await failing(request(), context)).statusCode).toBe(500);
    eventBridge.reset();
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'x' }] });
    expect((await failing(request(), context)).statusCode).toBe(500);
  });

  it('does not keep the 500 waiting on a bus that hangs', async () => {
    eventBridge.on(PutEventsCommand).callsFake(() => new Promise(() => undefined));
    const started = Date.now();
    const res = await httpHandler(async () => {
      throw new Error('x');
    })(request(), context);
    expect(res.statusCode).toBe(500);
    expect(Date.now() - started).toBeLessThan(PUBLISH_TIMEOUT_MS + 500);
  });
});
