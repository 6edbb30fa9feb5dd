/**
 * The billing accounts' errors (the application error family of shared/platform/errors.ts): a
 * change the rule refused, and the flag that decides what to keep not answering.
 */
import { ApplicationError } from '../platform/errors.js';
import type { ErrorKind } from '../platform/errors.js';
import type { BillingAccountOutcome } from './domain.js';

/** The base of every billing-accounts error. */
export abstract class BillingAccountsError extends ApplicationError {
  override readonly name: string = 'BillingAccountsError';
}

type BillingAccountRejection = Extract<BillingAccountOutcome, { ok: false }>['rejection'];

/** What each rejection means to a caller (exhaustive: a new code must say it here). */
const REJECTIONS: Readonly<Record<BillingAccountRejection['code'], { kind: ErrorKind; settled: boolean }>> = {
  // An older event than the change applied: the newer change stands, the event is done.
  stale_event: { kind: 'conflict', settled: true },
};

/** The rule refused the change (billing-accounts/domain.ts); nothing was written. */
export class BillingAccountRejectedError extends BillingAccountsError {
  override readonly name = 'BillingAccountRejectedError';
  readonly kind: ErrorKind;

  constructor(
    readonly customerId: string,
    rejection: BillingAccountRejection,
    options: ErrorOptions = {},
  ) {
    const meaning = REJECTIONS[rejection.code];
    super(rejection.code, rejection.message, { ...options, settled: meaning.settled });
    this.kind = meaning.kind;
  }
}

/**
 * `account_data_persistence` could not be evaluated for the customer: the change is refused, not
 * guessed (applying it as "off" would leave the membership behind), and may be retried: 503.
 */
export class AccountDataFlagUnavailableError extends BillingAccountsError {
  override readonly name = 'AccountDataFlagUnavailableError';
  readonly kind = 'unavailable';

  constructor(
    readonly flag: string,
    readonly customerId: string,
    readonly reason: string,
    options: ErrorOptions = {},
  ) {
    super('unavailable', `flag ${flag} could not be evaluated for customer ${customerId} (${reason})`, { ...options, retryAfterSeconds: 2 });
  }
}
