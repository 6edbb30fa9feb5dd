/**
 * Applying a command exactly once, for every feature that has commands: read → replay → decide →
 * dry run → commit, again after a lost race. The feature brings its reads, its pure rule and its
 * transaction; this module owns the order of the steps, the replay check (same eventId, other
 * request → 409 `idempotency_conflict`), the bounded retry and what happens when it runs out.
 *
 * `retryLostRaces` is the retry alone, for writers without an idempotency record (flags, the error
 * log's workflow): run read → decide → conditional write, and again after a lost race.
 */
import { createHash } from 'node:crypto';
import { backoff } from './backoff.js';
import { ConcurrentUpdateError } from './dynamodb/errors.js';
import { ConcurrentUpdateExhaustedError, IdempotencyConflictError } from './errors.js';

/** How a mutating command is run: by whom, whether it writes, and the clock (tests fix it). */
export interface CommandOptions {
  /** Who sent it: a service principal, an operator (JWT `sub`: recorded in the history), or the EventBridge rule. */
  actor: string;
  /** Validate and compute the result, write nothing. */
  dryRun?: boolean;
  now?: () => Date;
}

/** Attempts of read → decide → write before a contended command answers 409 `concurrent_update`. */
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

/** Throws IdempotencyConflictError (409 `idempotency_conflict`) unless the stored record was made by the same request. */
export function assertSameRequest(record: { eventId: string; requestHash: string }, hash: string): void {
  if (record.requestHash !== hash) throw new IdempotencyConflictError(record.eventId);
}

// ---------------------------------------------------------------------------------------------
// The retry

/** Which attempt this is; on the last one a rule that would read again must decide with what it has. */
export interface Attempt {
  /** 1-based. */
  number: number;
  last: boolean;
}

export interface RetryOptions {
  /** Default MAX_ATTEMPTS. */
  maxAttempts?: number;
  /** The wait before attempt n + 1 (default: platform/backoff.ts); tests pass one that does not wait. */
  backoff?: (attempt: number) => Promise<void>;
  /** Whether `error` is a lost race worth another attempt. Default: a ConcurrentUpdateError. */
  isLostRace?: (error: unknown) => boolean;
  /** What to throw when the last attempt lost its race too (given that attempt's error). */
  exhausted: (lastError: unknown) => unknown;
}

const isConcurrentUpdate = (error: unknown): boolean => error instanceof ConcurrentUpdateError;

/**
 * Runs `attempt` (read → decide → conditional write) until it returns; when it loses a race it
 * waits and runs again, at most `maxAttempts` times, then throws `exhausted(lastError)`. Any other
 * error ends it at once.
 *
 * @example
 * const flag = await retryLostRaces(async () => {
 *   const before = await getFlag(name);
 *   await commitFlagChange({ ...decide(before), previousVersion: before.version });
 *   return before;
 * }, { isLostRace: (e) => e instanceof FlagVersionConflictError, exhausted: () => new ConcurrentUpdateExhaustedError(`flag ${name}`) });
 */
export async function retryLostRaces<T>(attempt: (attempt: Attempt) => Promise<T>, options: RetryOptions): Promise<T> {
  const maxAttempts = options.maxAttempts ?? MAX_ATTEMPTS;
  const wait = options.backoff ?? backoff;
  const isLostRace = options.isLostRace ?? isConcurrentUpdate;
  for (let number = 1; ; number++) {
    try {
      return await attempt({ number, last: number >= maxAttempts });
    } catch (error) {
      if (!isLostRace(error)) throw error;
      if (number >= maxAttempts) throw options.exhausted(error);
      await wait(number);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The exactly-once loop

/** An idempotency record as the loop needs it: who made it (the hash) and what it answered. */
export interface StoredResult<S> {
  eventId: string;
  requestHash: string;
  result: S;
}

/** What the rule decided: the answer and the write that makes it true, or "read again". */
export type Decision<A, W> = { kind: 'apply'; answer: A; write: W } | { kind: 'read_again' };

/** The rule accepts: answer `answer` (a dry run stops here), and commit `write`. */
export const apply = <A, W>(answer: A, write: W): Decision<A, W> => ({ kind: 'apply', answer, write });

/**
 * What was read does not hang together (two items read a moment apart, changed in between by a
 * concurrent writer): read again. Never on the last attempt: `decide` then judges with what it has.
 */
export const READ_AGAIN: Decision<never, never> = { kind: 'read_again' };

/**
 * One command, as the loop runs it. `R` is what one read gets, `S` what the idempotency record
 * stores, `A` the answer, `W` what the commit writes.
 */
export interface ExactlyOnceCommand<R, S, A, W> {
  /** The canonical hash of the request (requestHash). */
  hash: string;
  /** Compute the answer and write nothing. */
  dryRun?: boolean;
  /** What is contended, for the 409 `concurrent_update` message: "this namespace", "customer c-1". */
  what: string;
  /** One consistent read of everything the rule needs, the idempotency record under the eventId included. */
  read(): Promise<R>;
  /** The idempotency record `read` found under the eventId, if any. */
  storedIn(read: R): StoredResult<S> | null;
  /** The answer of a stored result (a replay). */
  replay(result: S): A;
  /** The pure rule: apply, read again, or refuse by throwing the feature's error. */
  decide(read: R, attempt: Attempt): Decision<A, W> | Promise<Decision<A, W>>;
  /**
   * Writes `write` in one transaction conditional on what `read` saw. Throws ConcurrentUpdateError
   * when another writer won, or the error `duplicateIn` recognises when the eventId was applied meanwhile.
   */
  commit(write: W, read: R): Promise<void>;
  /** The record a concurrent request stored, when `error` is the commit meeting that eventId already applied. */
  duplicateIn(error: unknown): StoredResult<S> | null;
}

export interface ExactlyOnceOutcome<A> {
  result: A;
  /** The same eventId was applied before: this is the stored result, nothing was written. */
  replayed: boolean;
  dryRun: boolean;
}

/**
 * Applies a command exactly once: read → replay (a stored record made by the same request answers
 * its result; by another request, 409 `idempotency_conflict`) → decide → dry run (answer, write
 * nothing) → commit. A duplicate met at commit answers the winner's record; a lost race (or a rule
 * asking to read again) backs off and starts over, at most MAX_ATTEMPTS times, then
 * ConcurrentUpdateExhaustedError (409 `concurrent_update`). Nothing is written on any error.
 *
 * @example
 * const { result, replayed } = await runExactlyOnce({
 *   hash: requestHash(command), dryRun: options.dryRun, what: `customer ${command.customerId}`,
 *   read: () => readForBillingAccountSet(command),
 *   storedIn: (read) => read.idempotency,
 *   replay: (stored) => toCustomer(stored),
 *   decide: (read) => apply(next(read.customer), { before: read.customer, after: next(read.customer) }),
 *   commit: (write) => commitBillingAccountSet(write),
 *   duplicateIn: (error) => (error instanceof CustomerEventAppliedError ? error.record : null),
 * });
 */
export async function runExactlyOnce<R, S, A, W>(
  command: ExactlyOnceCommand<R, S, A, W>,
  options: Omit<RetryOptions, 'exhausted' | 'isLostRace'> = {},
): Promise<ExactlyOnceOutcome<A>> {
  const dryRun = command.dryRun ?? false;
  const replay = (stored: StoredResult<S>): ExactlyOnceOutcome<A> => {
    assertSameRequest(stored, command.hash);
    return { result: command.replay(stored.result), replayed: true, dryRun };
  };
  // Only a race lost by this call's commit (or a read the rule found inconsistent) is retried: a
  // ConcurrentUpdateError out of `read` is a store's failure, not a race, and ends the command.
  let lostRace: unknown;
  return retryLostRaces(
    async (attempt) => {
      const read = await command.read();
      const stored = command.storedIn(read);
      if (stored) return replay(stored);
      const decision = await command.decide(read, attempt);
      if (decision.kind === 'read_again') {
        if (attempt.last) throw new Error('decide asked to read again on the last attempt: it must decide with what it has');
        throw (lostRace = new ConcurrentUpdateError('what was read changed while it was read'));
      }
      if (dryRun) return { result: decision.answer, replayed: false, dryRun };
      try {
        await command.commit(decision.write, read);
      } catch (error) {
        const duplicate = command.duplicateIn(error);
        if (duplicate) return replay(duplicate);
        if (error instanceof ConcurrentUpdateError) lostRace = error;
        throw error;
      }
      return { result: decision.answer, replayed: false, dryRun };
    },
    {
      ...options,
      isLostRace: (error) => error === lostRace,
      exhausted: (lastError) => new ConcurrentUpdateExhaustedError(command.what, { cause: lastError }),
    },
  );
}
