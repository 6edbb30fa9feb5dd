/**
 * The lifecycle commands' errors (the application error family of shared/platform/errors.ts): a
 * command the rules refused, and a command for a subscription nobody created. Each says its kind;
 * the HTTP edge answers it from there, and the EventBridge side asks `settled`.
 */
import { ApplicationError } from '../platform/errors.js';
import type { ErrorKind } from '../platform/errors.js';
import type { Rejection, RejectionCode } from './domain/types.js';

/** The base of every lifecycle error. */
export abstract class LifecycleError extends ApplicationError {
  override readonly name: string = 'LifecycleError';
}

interface RejectionMeaning {
  kind: ErrorKind;
  /** The code callers see, when it is not the rejection's own. */
  code?: string;
  settled?: boolean;
}

/** What each rejection means to a caller. A new rejection code must say it here (the Record is exhaustive). */
const REJECTIONS: Readonly<Record<RejectionCode, RejectionMeaning>> = {
  // Superseded by what is already applied, or older than the log keeps: an event that meets it is
  // done, not failed (it is recorded in the namespace's history and counted).
  stale_event: { kind: 'conflict', settled: true },
  subscription_exists: { kind: 'conflict' },
  namespace_has_subscription: { kind: 'conflict' },
  subscription_expired: { kind: 'conflict' },
  // The namespace does not hold the subscription: nobody learns the customer was not provisioned
  // unless it is a failure, so on the bus it reaches the error log with the event.
  subscription_not_held: { kind: 'conflict' },
  // A reconciliation or a correction naming a term the namespace does not have (any more).
  term_not_found: { kind: 'conflict' },
};

/**
 * The rules refused the command at its place in the log (lifecycle/domain/rules.ts), or it is older
 * than the log keeps. Nothing of the state changed; a refused command is kept in the log and judged
 * again when a late command lands before it. `stale_event` is a settled conflict, the others are
 * conflicts that reach the error log when they come from the bus.
 *
 * @example
 * if (receipt.fold.entry.rejection) throw new CommandRejectedError(receipt.fold.entry.rejection);
 */
export class CommandRejectedError extends LifecycleError {
  override readonly name = 'CommandRejectedError';
  readonly kind: ErrorKind;
  /** The rule's own code. */
  readonly rejection: RejectionCode;

  constructor(rejection: Rejection, options: ErrorOptions = {}) {
    const meaning = REJECTIONS[rejection.code];
    super(meaning.code ?? rejection.code, rejection.message, { ...options, settled: meaning.settled ?? false });
    this.kind = meaning.kind;
    this.rejection = rejection.code;
  }
}

/** A subscription-addressed command for a subscription no namespace holds: 404 `not_found`. */
export class UnknownSubscriptionError extends LifecycleError {
  override readonly name = 'UnknownSubscriptionError';
  readonly kind = 'not_found';

  constructor(
    readonly subscriptionId: string,
    options: ErrorOptions = {},
  ) {
    super('not_found', `Subscription ${subscriptionId} is unknown: send Subscription Created for it first.`, options);
  }
}
