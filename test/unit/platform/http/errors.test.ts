/**
 * The one table of the HTTP edge: every error kind's status, the error contract's body, what a 5xx
 * hides and the Retry-After of an unavailable dependency.
 */
import { describe, expect, it } from 'vitest';
import {
  ApplicationError,
  ConcurrentUpdateExhaustedError,
  IdempotencyConflictError,
  InvalidInputError,
  NotFoundError,
} from '../../../../shared/platform/errors.js';
import type { ApplicationErrorOptions, ErrorKind } from '../../../../shared/platform/errors.js';
import { InvalidCursorError, StoreError, StoreUnavailableError } from '../../../../shared/platform/dynamodb/errors.js';
import {
  ForbiddenError,
  HTTP_STATUS,
  MalformedJsonError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  errorAnswer,
} from '../../../../shared/platform/http/errors.js';

/** An error of any kind, as a feature would declare one. */
const errorOf = (kind: ErrorKind, code = `some_${kind}`, options: ApplicationErrorOptions = {}) =>
  new (class extends ApplicationError {
    readonly kind = kind;
  })(code, `the ${kind} message`, options);

describe('Table: HTTP_STATUS', () => {
  it.each<[ErrorKind, number]>([
    ['invalid_input', 400],
    ['unauthorized', 401],
    ['forbidden', 403],
    ['not_found', 404],
    ['conflict', 409],
    ['too_large', 413],
    ['unsupported_media_type', 415],
    ['internal', 500],
    ['unavailable', 503],
  ])('answers %s with %i', (kind, status) => {
    expect(HTTP_STATUS[kind]).toBe(status);
    expect(errorAnswer(errorOf(kind)).statusCode).toBe(status);
  });

  it('has a status for every kind and no other', () => {
    expect(Object.keys(HTTP_STATUS).sort()).toEqual(
      ['conflict', 'forbidden', 'internal', 'invalid_input', 'not_found', 'too_large', 'unauthorized', 'unavailable', 'unsupported_media_type'],
    );
  });
});

describe('Function: errorAnswer', () => {
  it('answers a 4xx with its code, message and details', () => {
    const answer = errorAnswer(new InvalidInputError('Invalid body: check a.', [{ field: 'a', message: 'Required' }]));
    expect(answer).toEqual({
      statusCode: 400,
      code: 'validation_failed',
      headers: {},
      body: { error: { code: 'validation_failed', message: 'Invalid body: check a.', details: [{ field: 'a', message: 'Required' }] } },
    });
  });

  it('leaves details out when there are none', () => {
    expect(errorAnswer(new NotFoundError('No such thing.')).body).toEqual({ error: { code: 'not_found', message: 'No such thing.' } });
  });

  it.each([
    ['a TypeError', new TypeError('boom at /var/task/index.js:1')],
    ['a thrown string', 'boom at /var/task/index.js:1'],
    ['a store error', new StoreError('boom at /var/task/index.js:1', { code: 'store_error', details: { secret: 'x' } })],
    ['an internal error of a feature', errorOf('internal', 'feature_broke', { details: { secret: 'x' } })],
  ])('answers %s 500 internal_error with the generic message only', (_, error) => {
    const answer = errorAnswer(error);
    expect(answer.statusCode).toBe(500);
    expect(answer.body.error.code).toBe('internal_error');
    expect(answer.body.error.message).toMatch(/^The service failed to handle this request/);
    expect(JSON.stringify(answer)).not.toMatch(/var\/task|secret/);
  });

  it('answers an unavailable dependency 503 with Retry-After from retryAfterSeconds, hiding its message', () => {
    const answer = errorAnswer(new StoreUnavailableError('DynamoDB at 10.0.0.7 is unavailable'));
    expect(answer.statusCode).toBe(503);
    expect(answer.headers).toEqual({ 'Retry-After': '2' });
    expect(answer.body).toEqual({
      error: { code: 'unavailable', message: expect.stringMatching(/^The service cannot reach its database right now/) },
    });
    expect(errorAnswer(errorOf('unavailable', 'unavailable', { retryAfterSeconds: 7.2 })).headers).toEqual({ 'Retry-After': '8' });
    expect(errorAnswer(errorOf('unavailable', 'unavailable')).headers).toEqual({});
  });

  it('answers the platform and store errors by their kind', () => {
    expect(errorAnswer(new InvalidCursorError()).body.error).toEqual({
      code: 'validation_failed',
      message: 'Invalid cursor: pass the nextCursor of the previous page.',
      details: [{ field: 'cursor', message: 'invalid' }],
    });
    expect(errorAnswer(new IdempotencyConflictError('e-1'))).toMatchObject({ statusCode: 409, code: 'idempotency_conflict' });
    expect(errorAnswer(new ConcurrentUpdateExhaustedError('this namespace'))).toMatchObject({ statusCode: 409, code: 'concurrent_update' });
  });

  it.each<[string, ApplicationError, number, string]>([
    ['a body too large', new PayloadTooLargeError(256 * 1024), 413, 'payload_too_large'],
    ['a body that is not JSON', new UnsupportedMediaTypeError('text/plain'), 415, 'unsupported_media_type'],
    ['malformed JSON', new MalformedJsonError(), 400, 'malformed_json'],
    ['no credentials', new UnauthorizedError('Missing credentials.'), 401, 'unauthorized'],
    ['a caller without the role', new ForbiddenError('Operators only.'), 403, 'forbidden'],
  ])('answers the edge failure of %s %i %s', (_, error, status, code) => {
    expect(errorAnswer(error)).toMatchObject({ statusCode: status, code, body: { error: { code, message: error.message } } });
  });
});
