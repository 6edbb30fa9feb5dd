/**
 * The application error family. Domain and application code raise errors of this family (each
 * feature its own subclasses, in shared/<feature>/errors.ts); each error declares its **kind** —
 * what sort of failure it is, whatever the transport — and a stable `code` callers can branch on.
 * Only the HTTP edge turns a kind into a status (the one table in shared/platform/http/errors.ts),
 * and the EventBridge path asks the error whether it is `settled` (already applied or superseded:
 * not a failure), never which status it would have.
 *
 * Shaped as Powertools' `errors.ts`: a base class, `name` on every subclass, `ErrorOptions` so that
 * `cause` survives, and the context a caller needs as fields.
 */

/** What sort of failure an error is. The HTTP edge maps each to one status. */
export type ErrorKind =
  /** The caller sent something invalid; `details` names each bad field. */
  | 'invalid_input'
  /** Missing or wrong credentials. */
  | 'unauthorized'
  /** The credentials are valid but may not do this. */
  | 'forbidden'
  | 'not_found'
  /** The request is valid but conflicts with the current state (a guard rail, a race, a replay of another request). */
  | 'conflict'
  | 'too_large'
  | 'unsupported_media_type'
  /** A dependency (the database, the bus, a flag) is not there right now: retry after `retryAfterSeconds`. */
  | 'unavailable'
  /** A fault of the service itself: never shown to the caller. */
  | 'internal';

export interface ApplicationErrorOptions extends ErrorOptions {
  /** Shown to the caller with the message (never for `internal` or `unavailable`). */
  details?: unknown;
  /**
   * The change this error refuses is already applied or superseded (for instance a stale event):
   * a command from the bus that meets it is done, not failed.
   */
  settled?: boolean;
  /** For `unavailable`: when a retry may succeed. */
  retryAfterSeconds?: number;
}

export abstract class ApplicationError extends Error {
  override readonly name: string = 'ApplicationError';
  abstract readonly kind: ErrorKind;
  readonly details?: unknown;
  readonly settled: boolean;
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: string,
    message: string,
    options: ApplicationErrorOptions = {},
  ) {
    super(message, options);
    this.details = options.details;
    this.settled = options.settled ?? false;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** Whether `error` means "already done or superseded": an event that meets it is not a failure. */
export const isSettled = (error: unknown): error is ApplicationError => error instanceof ApplicationError && error.settled;

export interface FieldProblem {
  field: string;
  message: string;
}

/** Invalid input: `validation_failed`, naming each bad field in `details`. */
export class InvalidInputError extends ApplicationError {
  override readonly name = 'InvalidInputError';
  readonly kind = 'invalid_input';
  declare readonly details: FieldProblem[];

  constructor(message: string, problems: FieldProblem[], options: ErrorOptions = {}) {
    super('validation_failed', message, { ...options, details: problems });
  }
}

/** Nothing is stored under the id the caller named. */
export class NotFoundError extends ApplicationError {
  override readonly name = 'NotFoundError';
  readonly kind = 'not_found';

  constructor(message: string, options: ErrorOptions = {}) {
    super('not_found', message, options);
  }
}

/** Every attempt of read → decide → write lost its race: nothing was written; the same request may be retried. */
export class ConcurrentUpdateExhaustedError extends ApplicationError {
  override readonly name = 'ConcurrentUpdateExhaustedError';
  readonly kind = 'conflict';

  constructor(what: string, options: ErrorOptions = {}) {
    super('concurrent_update', `Too many concurrent changes to ${what}; nothing was written. Retry the same request.`, options);
  }
}

/** The eventId was already applied for another request: a new change needs a new eventId. */
export class IdempotencyConflictError extends ApplicationError {
  override readonly name = 'IdempotencyConflictError';
  readonly kind = 'conflict';

  constructor(
    readonly eventId: string,
    options: ErrorOptions = {},
  ) {
    super('idempotency_conflict', `eventId ${eventId} was already used for a different request; send a new eventId for a new change.`, options);
  }
}
