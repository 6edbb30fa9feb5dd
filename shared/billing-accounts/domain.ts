/**
 * A customer's billing account (its Zuora account). The customers portal says which account a
 * customer bills to; the service always records it on the customer, and — while the
 * `account_data_persistence` flag is on for that customer — also keeps the BillingAccount and the
 * customer's BillingAccountMembership in step with it. Pure: the caller evaluates the flag and
 * writes what this decides.
 */

export interface Customer {
  customerId: string;
  /** The billing account the portal last said this customer bills to. */
  zuoraAccountId: string;
  /**
   * The billing account that holds this customer's membership item, or null when none does. It
   * differs from `zuoraAccountId` when the account changed while the flag was off for the customer:
   * the next change made with the flag on moves the membership from here.
   */
  membershipZuoraAccountId: string | null;
  /** Whether the last applied change kept the billing-account data (the flag was on for the customer). */
  accountDataPersisted: boolean;
  /** UTC date of the last applied change: the audit looks at customers changed since its previous run. */
  changedOn: string;
  /** `occurredAt` of the last applied change: an older event is stale. */
  lastOccurredAt: string;
  lastEventId: string;
  updatedAt: string;
  version: number;
}

export interface BillingAccountSetCommand {
  type: 'billingAccountSet';
  eventId: string;
  occurredAt: string;
  customerId: string;
  zuoraAccountId: string;
}

/** What happens to memberships: join the new account, leave the old one (each null when nothing to do). */
export interface MembershipChange {
  join: string | null;
  leave: string | null;
}

export type BillingAccountOutcome =
  | { ok: true; customer: Customer; membership: MembershipChange }
  | { ok: false; rejection: { code: 'stale_event'; message: string } };

/**
 * Applies "customer's billing account set" to a customer (null: not seen before).
 * `persist` is the flag's answer for this customer.
 *
 * @example
 * setBillingAccount(null, { type: 'billingAccountSet', eventId: 'e-1', occurredAt, customerId: 'c-1', zuoraAccountId: 'Z-1' },
 *   { appliedAt, persist: true });
 * // { ok: true, customer: { ..., membershipZuoraAccountId: 'Z-1' }, membership: { join: 'Z-1', leave: null } }
 */
export function setBillingAccount(
  before: Customer | null,
  command: BillingAccountSetCommand,
  context: { appliedAt: string; persist: boolean },
): BillingAccountOutcome {
  // An event older than the last one applied must not undo it: the portal may deliver out of order.
  if (before && Date.parse(command.occurredAt) < Date.parse(before.lastOccurredAt)) {
    return {
      ok: false,
      rejection: {
        code: 'stale_event',
        message:
          `The event occurred at ${command.occurredAt}, before the change already applied to customer ${command.customerId} ` +
          `(${before.lastOccurredAt}); nothing was written. Send the current billing account with a later occurredAt.`,
      },
    };
  }
  const previousMembership = before?.membershipZuoraAccountId ?? null;
  // With the flag off, the billing-account data is left exactly as it is: a rollback stops writing it.
  const membership: MembershipChange = context.persist
    ? { join: command.zuoraAccountId, leave: previousMembership !== null && previousMembership !== command.zuoraAccountId ? previousMembership : null }
    : { join: null, leave: null };
  const customer: Customer = {
    customerId: command.customerId,
    zuoraAccountId: command.zuoraAccountId,
    membershipZuoraAccountId: context.persist ? command.zuoraAccountId : previousMembership,
    accountDataPersisted: context.persist,
    changedOn: context.appliedAt.slice(0, 10),
    lastOccurredAt: command.occurredAt,
    lastEventId: command.eventId,
    updatedAt: context.appliedAt,
    version: (before?.version ?? 0) + 1,
  };
  return { ok: true, customer, membership };
}

export type BillingAccountDrift =
  | { code: 'membership_elsewhere'; message: string }
  | { code: 'membership_missing'; message: string };

/**
 * Whether a customer and its billing-account membership disagree — what the audit's
 * `billing_account_drift` finding reports. `membershipFound`: whether the membership item
 * `BA#<membershipZuoraAccountId> / MEMBER#<customerId>` exists. A customer whose data was never kept
 * (no membership expected) is not drift.
 *
 * @example
 * billingAccountDrift(customer, { membershipFound: true }); // null when in step
 */
export function billingAccountDrift(customer: Customer, lookup: { membershipFound: boolean }): BillingAccountDrift | null {
  const held = customer.membershipZuoraAccountId;
  if (held === null) return null;
  if (held !== customer.zuoraAccountId) {
    return {
      code: 'membership_elsewhere',
      message:
        `Customer ${customer.customerId} bills to ${customer.zuoraAccountId} but its membership is kept under ${held} ` +
        '(changed while account_data_persistence was off for it): send its billing account again with the flag on.',
    };
  }
  if (!lookup.membershipFound) {
    return {
      code: 'membership_missing',
      message: `Customer ${customer.customerId} should be a member of billing account ${held}, and the membership item is missing.`,
    };
  }
  return null;
}
