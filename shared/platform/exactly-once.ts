/**
 * The exactly-once pieces every mutating command shares: the canonical request hash stored with the
 * idempotency record, the replay check (same eventId, other request → 409 `idempotency_conflict`),
 * and the bounded retry of read → decide → write after a lost race.
 */
import { createHash } from 'node:crypto';
import { HttpError, conflict } from './http/errors.js';

/** How a mutating command is run: by whom, whether it writes, and the clock (tests fix it). */
export interface CommandOptions {
  /** Who sent it: a service principal, an operator (JWT `sub`: recorded in the history), or the EventBridge rule. */
  actor: string;
  /** Validate and compute the result, write nothing. */
  dryRun?: boolean;
  now?: () => Date;
}

/** Attempts of read → decide → write before a contended namespace answers 409 `concurrent_update`. */
export const MAX_ATTEMPTS = 8;

/**
 * The canonical hash of a request: key order and `undefined` fields do not matter, so the same
 * request always hashes the same; the same eventId with another hash is a conflict.
 *
 * @example
 * requestHash({ b: 1, a: 2 }) === requestHash({ a: 2, b: 1, c: undefined }); // true
 */
export function requestHash(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Throws 409 `idempotency_conflict` unless the stored record was made by the same request. */
export function assertSameRequest(record: { eventId: string; requestHash: string }, hash: string): void {
  if (record.requestHash !== hash) {
    throw conflict(
      'idempotency_conflict',
      `eventId ${record.eventId} was already used for a different request; send a new eventId for a new change.`,
    );
  }
}

/** Waits a little, growing with the attempt, with jitter so that racing writers spread out (5 ms up to 100 ms). */
export { backoff } from './backoff.js';

/** The answer when every attempt lost its race: nothing was written, the same request may be retried. */
export function concurrentUpdate(what = 'this namespace'): HttpError {
  return new HttpError(
    409,
    'concurrent_update',
    `Too many concurrent changes to ${what}; nothing was written. Retry the same request.`,
  );
}
