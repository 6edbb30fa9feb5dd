import * as z from '../../../../shared/platform/zod.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InvalidInputError } from '../../../../shared/platform/errors.js';
import { StoreError } from '../../../../shared/platform/dynamodb/errors.js';
import { errorAnswer, validationFailed } from '../../../../shared/platform/http/errors.js';
import { MAX_BODY_BYTES, actorOf, parseBody } from '../../../../shared/platform/http/handler.js';
import type { HttpEvent } from '../../../../shared/platform/http/handler.js';
import { callerFor } from '../../../../local/http-server.js';
import { Router } from '../../../../local/router.js';

const event = (body: string | undefined, headers: Record<string, string> = { 'content-type': 'application/json' }, extra: Partial<HttpEvent> = {}): HttpEvent =>
  ({ version: '2.0', routeKey: 'POST /x', rawPath: '/x', rawQueryString: '', headers, body, isBase64Encoded: false, requestContext: { requestId: 'r', routeKey: 'POST /x', http: { method: 'POST', path: '/x', sourceIp: '127.0.0.1' } }, ...extra }) as HttpEvent;

const schema = z.strictObject({ n: z.int(), s: z.string().check(z.minLength(2)) });

function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected it to throw');
}

describe('Function: parseBody', () => {
  it('parses and validates a JSON body', () => {
    expect(parseBody(event('{"n":1,"s":"ok"}'), schema)).toEqual({ n: 1, s: 'ok' });
  });

  it('decodes a base64 body as API Gateway sends non-text bodies', () => {
    expect(parseBody(event(Buffer.from('{"n":2,"s":"ok"}').toString('base64'), {}, { isBase64Encoded: true }), schema)).toEqual({ n: 2, s: 'ok' });
  });

  it.each([
    ['malformed JSON', event('{"n":'), 400, 'malformed_json'],
    ['no body', event(undefined), 400, 'validation_failed'],
    ['a non-JSON content type', event('n=1', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type'],
    ['a body over 256 KB', event(JSON.stringify({ s: 'x'.repeat(MAX_BODY_BYTES) })), 413, 'payload_too_large'],
  ])('throws on %s', (_, e, status, code) => {
    expect(() => parseBody(e, schema)).toThrowError(expect.objectContaining({ code }));
    expect(errorAnswer(thrownBy(() => parseBody(e, schema)))).toMatchObject({ statusCode: status, code });
  });

  it('names each bad field, unknown keys and prototype keys included', () => {
    try {
      parseBody(event('{"n":"1","s":"x","__proto__":{"admin":true},"extra":1}'), schema);
      expect.unreachable();
    } catch (error) {
      const e = error as InvalidInputError;
      expect(errorAnswer(e).statusCode).toBe(400);
      expect((e.details as Array<{ field: string }>).map((d) => d.field).sort()).toEqual(['__proto__', 'extra', 'n', 's']);
    }
  });
});

describe('Function: errorAnswer', () => {
  it('never shows the message of a 5xx', () => {
    for (const error of [new TypeError('stack at /var/task/index.mjs'), new StoreError('stack at /var/task/index.mjs')]) {
      const { body } = errorAnswer(error);
      expect(JSON.stringify(body)).not.toContain('/var/task');
      expect(body.error.code).toBe('internal_error');
    }
  });

  it('shows 4xx messages and details', () => {
    const e = validationFailed(z.object({ a: z.string() }).safeParse({}).error!, 'body');
    expect(errorAnswer(e).body).toEqual({ error: { code: 'validation_failed', message: 'Invalid body: check a.', details: [{ field: 'a', message: expect.any(String) }] } });
  });
});

describe('Function: actorOf', () => {
  it('takes an operator from the JWT sub and a service from the IAM principal', () => {
    expect(actorOf(event('', {}, { requestContext: { requestId: 'r', routeKey: 'x', http: { method: 'GET', path: '/', sourceIp: '' }, authorizer: { jwt: { claims: { sub: 'op-7' } } } } }))).toEqual({ kind: 'operator', id: 'op-7' });
    expect(actorOf(event('', {}, { requestContext: { requestId: 'r', routeKey: 'x', http: { method: 'GET', path: '/', sourceIp: '' }, authorizer: { iam: { userArn: 'arn:aws:iam::1:role/x' } } } }))).toEqual({ kind: 'service', id: 'arn:aws:iam::1:role/x' });
  });

  it('refuses a request without an identity', () => {
    expect(errorAnswer(thrownBy(() => actorOf(event(''))))).toMatchObject({ statusCode: 401, code: 'unauthorized' });
  });

  describe('given the id of its API (HTTP_API_ID)', () => {
    const operatorEvent = (apiId?: string) =>
      event('', {}, { requestContext: { requestId: 'r', routeKey: 'x', ...(apiId && { apiId }), http: { method: 'GET', path: '/', sourceIp: '' }, authorizer: { jwt: { claims: { sub: 'op-7' } } } } });
    beforeEach(() => {
      process.env.HTTP_API_ID = 'a1b2c3';
    });
    afterEach(() => {
      delete process.env.HTTP_API_ID;
    });

    it('believes the authorizer of an event that came through that API', () => {
      expect(actorOf(operatorEvent('a1b2c3'))).toEqual({ kind: 'operator', id: 'op-7' });
    });

    it('refuses a forged operator whose event names another API or none (a direct invoke)', () => {
      for (const apiId of ['forged', undefined]) {
        expect(errorAnswer(thrownBy(() => actorOf(operatorEvent(apiId))))).toMatchObject({ statusCode: 401, code: 'unauthorized' });
      }
    });
  });
});

describe('Function: callerFor (local bearer tokens)', () => {
  const tokens = { service: 'svc-token', operator: 'op-token', support: 'support-token', viewer: 'viewer-token' };
  it.each([
    [undefined, 'missing'],
    ['Basic abc', 'invalid'],
    ['Bearer nope', 'invalid'],
    ['Bearer svc-token', { kind: 'service' }],
    ['bearer op-token', { kind: 'operator', role: 'admin' }],
    ['Bearer support-token', { kind: 'operator', role: 'support' }],
    ['Bearer viewer-token', { kind: 'operator', role: 'viewer' }],
  ])('%s → %o', (header, expected) => {
    expect(callerFor(header, tokens)).toEqual(expected);
  });
});

describe('Class: Router', () => {
  const router = new Router([
    { method: 'POST', path: '/v1/namespaces/{namespaceId}/trials', target: 'start' },
    { method: 'POST', path: '/v1/namespaces/{namespaceId}/trials/end', target: 'end' },
    { method: 'GET', path: '/v1/subscriptions/{subscriptionId}', target: 'get' },
    { method: 'GET', path: '/v1/subscriptions/special', target: 'literal' },
  ]);

  it('matches routes with decoded path parameters', () => {
    expect(router.match('POST', '/v1/namespaces/7/trials/end')).toMatchObject({ routeKey: 'POST /v1/namespaces/{namespaceId}/trials/end', pathParameters: { namespaceId: '7' } });
    expect(router.match('GET', '/v1/subscriptions/A%2FB')?.pathParameters).toEqual({ subscriptionId: 'A/B' });
  });

  it('prefers literal segments over parameters, as API Gateway does', () => {
    expect(router.match('GET', '/v1/subscriptions/special')?.route.target).toBe('literal');
  });

  it('matches nothing for another method, length or a malformed escape', () => {
    expect(router.match('DELETE', '/v1/subscriptions/x')).toBeUndefined();
    expect(router.match('GET', '/v1/subscriptions/x/y')).toBeUndefined();
    expect(router.match('GET', '/v1/subscriptions/%E0%A4%A')).toBeUndefined();
  });
});
