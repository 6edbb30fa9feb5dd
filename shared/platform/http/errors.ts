/**
 * The HTTP edge's side of the application error family (shared/platform/errors.ts): the ONE table
 * that turns an error's kind into a status, the error contract `{"error": {code, message, details?}}`
 * every answer uses, and the failures only the edge raises (body too large, not JSON, wrong media
 * type, no or wrong credentials). Messages of 5xx answers are never shown to callers, only logged.
 */
import type * as z from '../zod.js';
import { ApplicationError, InvalidInputError } from '../errors.js';
import type { ErrorKind, FieldProblem } from '../errors.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** What each kind of error answers over HTTP: the one place a kind becomes a status. */
export const HTTP_STATUS: Readonly<Record<ErrorKind, number>> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  internal: 500,
  unavailable: 503,
};

/** What a 5xx says instead of its message: never an internal detail. */
const GENERIC_5XX: Readonly<Record<number, string>> = {
  500: 'The service failed to handle this request. It has been logged; retry later or contact the provisioning team with the request id.',
  503: 'The service cannot reach its database right now. Retry the same request (same eventId) after the time in Retry-After: it is applied at most once.',
};

/** The answer to a failed request: status, headers and the error contract's body. */
export interface ErrorAnswer {
  statusCode: number;
  /** The code in the body (`internal_error` for every fault of the service). */
  code: string;
  headers: Record<string, string>;
  body: ErrorBody;
}

/**
 * Turns anything a handler threw into its HTTP answer. An ApplicationError answers by its kind;
 * anything else is a fault of the service: 500 `internal_error`. A 5xx shows a generic message and
 * no details; an unavailable dependency adds `Retry-After`.
 *
 * @example
 * errorAnswer(new NotFoundError('No error record err_1.'));
 * // { statusCode: 404, code: 'not_found', headers: {}, body: { error: { code: 'not_found', message: 'No error record err_1.' } } }
 */
export function errorAnswer(error: unknown): ErrorAnswer {
  const known = error instanceof ApplicationError ? error : undefined;
  const kind: ErrorKind = known?.kind ?? 'internal';
  const statusCode = HTTP_STATUS[kind];
  const code = known && kind !== 'internal' ? known.code : 'internal_error';
  const headers: Record<string, string> =
    kind === 'unavailable' && known?.retryAfterSeconds !== undefined ? { 'Retry-After': String(Math.ceil(known.retryAfterSeconds)) } : {};
  if (statusCode >= 500 || !known) {
    return { statusCode, code, headers, body: { error: { code, message: GENERIC_5XX[statusCode] ?? GENERIC_5XX[500]! } } };
  }
  const details = known.details === undefined ? {} : { details: known.details };
  return { statusCode, code, headers, body: { error: { code, message: known.message, ...details } } };
}

/** 400 `validation_failed`, naming each bad field of `where`. */
export function validationFailed(error: z.core.$ZodError, where: 'body' | 'path' | 'query' | 'detail'): InvalidInputError {
  const details: FieldProblem[] = error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: path ? `${path}.${key}` : key, message: 'Unknown field: remove it' }));
    }
    return [{ field: path || where, message: issue.message }];
  });
  const fields = [...new Set(details.map((d) => d.field))].join(', ');
  return new InvalidInputError(`Invalid ${where}: check ${fields}.`, details, { cause: error });
}

// The failures only the edge raises: the request never reached application code.

/** 413 `payload_too_large`. */
export class PayloadTooLargeError extends ApplicationError {
  override readonly name = 'PayloadTooLargeError';
  readonly kind = 'too_large';

  constructor(readonly maxBytes: number) {
    super('payload_too_large', `The body is larger than ${maxBytes / 1024} KB; send a smaller request.`);
  }
}

/** 415 `unsupported_media_type`: the body is not declared as JSON. */
export class UnsupportedMediaTypeError extends ApplicationError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly kind = 'unsupported_media_type';

  constructor(readonly contentType: string) {
    super('unsupported_media_type', 'Send the body as JSON with Content-Type: application/json.');
  }
}

/** 400 `malformed_json`: the body does not parse. */
export class MalformedJsonError extends ApplicationError {
  override readonly name = 'MalformedJsonError';
  readonly kind = 'invalid_input';

  constructor(options: ErrorOptions = {}) {
    super('malformed_json', 'The body is not valid JSON; check its syntax.', options);
  }
}

/** 401 `unauthorized`: no credentials, or wrong ones. */
export class UnauthorizedError extends ApplicationError {
  override readonly name = 'UnauthorizedError';
  readonly kind = 'unauthorized';

  constructor(message: string, options: ErrorOptions = {}) {
    super('unauthorized', message, options);
  }
}

/** 403 `forbidden`: valid credentials without the route's role. */
export class ForbiddenError extends ApplicationError {
  override readonly name = 'ForbiddenError';
  readonly kind = 'forbidden';

  constructor(message: string) {
    super('forbidden', message);
  }
}
