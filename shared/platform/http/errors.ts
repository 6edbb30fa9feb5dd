/**
 * The HTTP error family. Each error is data: a status, a stable `code` callers can branch on, a
 * message that says what went wrong and what to do, and optional `details`. Messages of 5xx errors
 * are never shown to callers (`expose`), only logged.
 */
import type * as z from '../zod.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export class HttpError extends Error {
  override readonly name: string = 'HttpError';
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    options?: ErrorOptions & { headers?: Record<string, string> },
  ) {
    super(message, options);
    this.headers = options?.headers ?? {};
  }

  /** Whether the message may be shown to the caller: never for a server-side failure. */
  get expose(): boolean {
    return this.statusCode < 500;
  }

  toBody(): ErrorBody {
    if (!this.expose) {
      return { error: { code: this.code, message: GENERIC_5XX[this.statusCode] ?? GENERIC_5XX[500]! } };
    }
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}

const GENERIC_5XX: Record<number, string> = {
  500: 'The service failed to handle this request. It has been logged; retry later or contact the provisioning team with the request id.',
  503: 'The service cannot reach its database right now. Retry the same request (same eventId) after the time in Retry-After: it is applied at most once.',
};

export interface FieldProblem {
  field: string;
  message: string;
}

/** 400 `validation_failed`, naming each bad field. */
export function validationFailed(error: z.core.$ZodError, where: 'body' | 'path' | 'query' | 'detail'): HttpError {
  const details: FieldProblem[] = error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: path ? `${path}.${key}` : key, message: 'Unknown field: remove it' }));
    }
    return [{ field: path || where, message: issue.message }];
  });
  const fields = [...new Set(details.map((d) => d.field))].join(', ');
  return new HttpError(400, 'validation_failed', `Invalid ${where}: check ${fields}.`, details);
}

export const notFound = (message: string): HttpError => new HttpError(404, 'not_found', message);

export const conflict = (code: string, message: string, details?: unknown): HttpError =>
  new HttpError(409, code, message, details);

export const unavailable = (cause: unknown, retryAfterSeconds = 2): HttpError =>
  new HttpError(503, 'unavailable', 'database unavailable', undefined, {
    cause,
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
