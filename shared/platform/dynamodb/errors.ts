/**
 * Store errors: the adapter translates SDK exceptions into these at the boundary (./translate.ts),
 * so nothing above it sees an SDK exception. They are application errors (shared/platform/errors.ts):
 * each says what kind of failure it is, and the HTTP edge answers it from that. This module imports
 * no SDK code: the HTTP edge imports it in every function, including those without DynamoDB.
 */
import { ApplicationError } from '../errors.js';
import type { ApplicationErrorOptions, ErrorKind } from '../errors.js';

/** A store failure that is a fault of the service (an invalid request to DynamoDB, an unexpected SDK error). */
export class StoreError extends ApplicationError {
  override readonly name: string = 'StoreError';
  readonly kind: ErrorKind = 'internal';

  constructor(message: string, options: ApplicationErrorOptions & { code?: string } = {}) {
    super(options.code ?? 'store_error', message, options);
  }
}

/** DynamoDB could not be reached or throttled us: nothing was written; the caller may retry. */
export class StoreUnavailableError extends StoreError {
  override readonly name = 'StoreUnavailableError';
  override readonly kind = 'unavailable';

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, { ...options, code: 'unavailable', retryAfterSeconds: 2 });
  }
}

/** A conditional write lost a race with another writer; re-read and try again. */
export class ConcurrentUpdateError extends StoreError {
  override readonly name = 'ConcurrentUpdateError';
  override readonly kind = 'conflict';

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, { ...options, code: 'concurrent_update' });
  }
}

/** One item of a write whose condition did not hold: its index in the write, and the item as it is now. */
export interface FailedCondition {
  /** 0 for a single-item write; the item's index in TransactItems for a transaction. */
  index: number;
  /** The stored item (ReturnValuesOnConditionCheckFailure `ALL_OLD`); undefined when there is none. */
  item: Record<string, unknown> | undefined;
}

/**
 * A conditional write found the item otherwise than its condition requires, and no caller said what
 * that means. Carries the items as they are, so the caller can decide again without a read.
 */
export class ConditionFailedError extends StoreError {
  override readonly name = 'ConditionFailedError';
  override readonly kind = 'conflict';

  constructor(
    message: string,
    readonly failures: readonly FailedCondition[],
    options: ErrorOptions = {},
  ) {
    super(message, { ...options, code: 'condition_failed' });
  }

  /** The first failed item as it is now (a single-item write has only one). */
  get item(): Record<string, unknown> | undefined {
    return this.failures[0]?.item;
  }

  /** The failure of the item at `index` of the write, if its condition is one that failed. */
  at(index: number): FailedCondition | undefined {
    return this.failures.find((failure) => failure.index === index);
  }
}

const UNAVAILABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** Whether an SDK error means "the database is not there right now" rather than a bug. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as Error & { code?: string; $metadata?: { httpStatusCode?: number }; cause?: unknown };
  if (UNAVAILABLE_NAMES.has(e.name)) return true;
  if (e.code && UNAVAILABLE_CODES.has(e.code)) return true;
  if ((e.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  if (e instanceof AggregateError) return e.errors.some(isUnavailable);
  return e.cause !== undefined && e.cause !== error && isUnavailable(e.cause);
}

/**
 * A page cursor this API did not give out for this listing (forged, truncated, or from another
 * filter). The HTTP error contract answers it 400 with `message`, for every listing alike.
 */
export class InvalidCursorError extends StoreError {
  override readonly name = 'InvalidCursorError';
  override readonly kind = 'invalid_input';

  constructor(message = 'Invalid cursor: pass the nextCursor of the previous page.') {
    super(message, { code: 'validation_failed', details: [{ field: 'cursor', message: 'invalid' }] });
  }
}
