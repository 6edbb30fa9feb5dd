/**
 * The lifecycle commands' errors (the application error family of shared/platform/errors.ts): a
 * command the rules refused, and a command for a subscription nobody created. Each says its kind;
 * the HTTP edge answers it from there, and the EventBridge side asks `settled`.
 */
import { ApplicationError } from '../platform/errors.js';
import type { ErrorKind, FieldProblem } from '../platform/errors.js';
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
  // Superseded by what is already applied: an event that meets it is done, not failed.
  stale_event: { kind: 'conflict', settled: true },
  subscription_exists: { kind: 'conflict' },
  namespace_has_subscription: { kind: 'conflict' },
  subscription_expired: { kind: 'conflict' },
  not_in_trial: { kind: 'conflict' },
  // The command contradicts itself, whatever the state: invalid input, like a schema's refusal.
  invalid_dates: { kind: 'invalid_input', code: 'validation_failed' },
};

/**
 * The rules refused the command (lifecycle/domain/rules.ts); nothing was written. Kind, code and
 * settled follow from the rejection: `stale_event` is a settled conflict, `invalid_dates` is
 * invalid input (`validation_failed`, naming the dates in `details`), the others are conflicts.
 *
 * @example
 * const result = applyCommand(before, command, { appliedAt });
 * if (!result.ok) throw new CommandRejectedError(result.rejection);
 */
export class CommandRejectedError extends LifecycleError {
  override readonly name = 'CommandRejectedError';
  readonly kind: ErrorKind;
  /** The rule's own code (for `invalid_dates`, `code` is `validation_failed`). */
  readonly rejection: RejectionCode;

  constructor(rejection: Rejection, options: ErrorOptions = {}) {
    const meaning = REJECTIONS[rejection.code];
    super(meaning.code ?? rejection.code, rejection.message, {
      ...options,
      settled: meaning.settled ?? false,
      ...(meaning.kind === 'invalid_input' ? { details: fieldProblems(rejection) } : {}),
    });
    this.kind = meaning.kind;
    this.rejection = rejection.code;
  }
}

const fieldProblems = (rejection: Rejection): FieldProblem[] =>
  (rejection.fields?.length ? rejection.fields : ['body']).map((field) => ({ field, message: rejection.message }));

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
