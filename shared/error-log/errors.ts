/**
 * The error log's errors (the application error family of shared/platform/errors.ts): an error
 * record that is not there, a move outside the workflow, a record that keeps changing under an
 * update, and a digest run another invocation holds.
 */
import { ApplicationError } from '../platform/errors.js';
import type { ErrorStatus } from './domain/status.js';

/** The base of every error-log error. */
export abstract class ErrorLogError extends ApplicationError {
  override readonly name: string = 'ErrorLogError';
}

/** No error record under `id`: 404. */
export class UnknownErrorRecordError extends ErrorLogError {
  override readonly name = 'UnknownErrorRecordError';
  readonly kind = 'not_found';

  constructor(
    readonly id: string,
    options: ErrorOptions = {},
  ) {
    super('not_found', `No error record ${id}: list them with GET /v1/errors.`, options);
  }
}

/** A status move the workflow does not allow: 409 `invalid_transition`, with the moves it allows. */
export class InvalidTransitionError extends ErrorLogError {
  override readonly name = 'InvalidTransitionError';
  readonly kind = 'conflict';

  constructor(
    readonly from: ErrorStatus,
    readonly to: ErrorStatus,
    readonly allowed: readonly ErrorStatus[],
    options: ErrorOptions = {},
  ) {
    super(
      'invalid_transition',
      `An error cannot move from ${from} to ${to}: ${allowed.length ? `from ${from} it can move to ${allowed.join(' or ')}` : `${from} is final`}.`,
      { ...options, details: { from, to, allowed } },
    );
  }
}

/** Every attempt of an operator's update lost its race: 409 `concurrent_update`; nothing was written. */
export class ErrorRecordContendedError extends ErrorLogError {
  override readonly name = 'ErrorRecordContendedError';
  readonly kind = 'conflict';

  constructor(
    readonly id: string,
    options: ErrorOptions = {},
  ) {
    super('concurrent_update', `Error record ${id} keeps changing while you update it; read it again and retry.`, options);
  }
}

/** Another invocation holds this digest's run (its lease): 409 `digest_in_progress`; retry after `leaseUntil`. */
export class DigestInProgressError extends ErrorLogError {
  override readonly name = 'DigestInProgressError';
  readonly kind = 'conflict';

  constructor(
    readonly job: string,
    readonly period: string,
    readonly leaseUntil: string,
    options: ErrorOptions = {},
  ) {
    super('digest_in_progress', `The ${job} run for ${period} is under way (lease until ${leaseUntil}); retry after that time.`, {
      ...options,
      details: { leaseUntil },
    });
  }
}

/** The bus did not take a reported failure: 503 with Retry-After; the same report (same eventId) may be sent again. */
export class ReportNotAcceptedError extends ErrorLogError {
  override readonly name = 'ReportNotAcceptedError';
  readonly kind = 'unavailable';

  constructor(
    readonly eventId: string,
    options: ErrorOptions = {},
  ) {
    super('report_not_accepted', `The report ${eventId} could not be put on the bus; send it again (same eventId): it counts once.`, { ...options, retryAfterSeconds: 5 });
  }
}

/**
 * A closed issue's next chunk could not be handed on (the bus refused the continuation event):
 * 503, so GitLab delivers the webhook again (or Lambda retries the event); what was resolved stays
 * resolved and a redelivery only continues.
 */
export class IssueResolutionNotContinuedError extends ErrorLogError {
  override readonly name = 'IssueResolutionNotContinuedError';
  readonly kind = 'unavailable';

  constructor(
    readonly issue: string,
    options: ErrorOptions = {},
  ) {
    super('resolution_not_continued', `The errors linked to ${issue} are partly resolved and the rest could not be queued; the delivery will be retried.`, {
      ...options,
      retryAfterSeconds: 30,
    });
  }
}
