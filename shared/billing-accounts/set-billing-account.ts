/**
 * Applies "customer's billing account set" exactly once: read (one consistent BatchGetItem of the
 * customer and the idempotency record), ask the `account_data_persistence` flag through OpenFeature,
 * decide with the pure rule, write (one TransactWriteItems), in the platform's exactly-once loop
 * (shared/platform/exactly-once.ts): replays, conflicts and lost races as for every command.
 */
import { ErrorCode, OpenFeature } from '@openfeature/server-sdk';
import { setBillingAccount } from './domain.js';
import type { BillingAccountSetCommand, Customer } from './domain.js';
import { AccountDataFlagUnavailableError, BillingAccountRejectedError } from './errors.js';
import { CustomerEventAppliedError, commitBillingAccountSet, readForBillingAccountSet, toCustomer } from './store.js';
import type { BillingAccountSetWrite, CustomerReadSet } from './store.js';
import { idempotencyExpiresAt } from '../platform/dynamodb/idempotency.js';
import { apply, requestHash, runExactlyOnce } from '../platform/exactly-once.js';
import type { CommandOptions } from '../platform/exactly-once.js';

/** The flag that gates keeping BillingAccount and BillingAccountMembership; its actor is the customer id. */
export const ACCOUNT_DATA_PERSISTENCE = 'account_data_persistence';

export interface BillingAccountSetResult {
  customer: Customer;
  /** The same eventId was applied before: this is the stored result, nothing was written. */
  replayed: boolean;
  dryRun: boolean;
}

/**
 * Whether the billing-account data is kept for this customer. A flag that was never created is off;
 * a flag that cannot be read is not guessed: the change is refused (503) and retried, because
 * applying it as "off" would leave the membership behind.
 *
 * @throws AccountDataFlagUnavailableError the flag could not be evaluated
 */
export async function accountDataPersistence(customerId: string): Promise<boolean> {
  const details = await OpenFeature.getClient().getBooleanDetails(ACCOUNT_DATA_PERSISTENCE, false, { targetingKey: customerId });
  if (details.errorCode && details.errorCode !== ErrorCode.FLAG_NOT_FOUND) {
    throw new AccountDataFlagUnavailableError(ACCOUNT_DATA_PERSISTENCE, customerId, `${details.errorCode}: ${details.errorMessage ?? ''}`);
  }
  return details.value;
}

/**
 * Records a customer's billing account, and keeps the billing-account data in step when the flag
 * is on for the customer.
 *
 * @throws BillingAccountRejectedError the rule refused it (`stale_event`, settled)
 * @example
 * const { customer } = await executeBillingAccountSet(
 *   { type: 'billingAccountSet', eventId: 'e-1', occurredAt: '2026-05-01T10:00:00Z', customerId: 'c-1', zuoraAccountId: 'Z-1' },
 *   { actor: 'arn:aws:iam::123456789012:role/portal' },
 * );
 */
export async function executeBillingAccountSet(command: BillingAccountSetCommand, options: CommandOptions): Promise<BillingAccountSetResult> {
  const hash = requestHash(command);
  const now = options.now ?? (() => new Date());
  let persist: boolean | undefined;
  const outcome = await runExactlyOnce({
    hash,
    dryRun: options.dryRun,
    what: `customer ${command.customerId}`,
    read: () => readForBillingAccountSet({ customerId: command.customerId, eventId: command.eventId }),
    storedIn: (set: CustomerReadSet) => set.idempotency,
    replay: (stored) => toCustomer(stored as unknown as Record<string, unknown>),
    decide: async (set) => {
      // Asked once per request: a retry after a lost race applies the same decision.
      persist ??= await accountDataPersistence(command.customerId);
      const appliedAt = now().toISOString();
      const result = setBillingAccount(set.customer, command, { appliedAt, persist });
      if (!result.ok) throw new BillingAccountRejectedError(command.customerId, result.rejection);
      const write: BillingAccountSetWrite = {
        before: set.customer,
        after: result.customer,
        membership: result.membership,
        idempotency: {
          eventId: command.eventId,
          requestHash: hash,
          commandType: command.type,
          customerId: command.customerId,
          result: result.customer,
          appliedAt,
          expiresAt: idempotencyExpiresAt(now()),
        },
      };
      return apply(result.customer, write);
    },
    commit: (write) => commitBillingAccountSet(write),
    duplicateIn: (error) => (error instanceof CustomerEventAppliedError ? error.record : null),
  });
  return { customer: outcome.result, replayed: outcome.replayed, dryRun: outcome.dryRun };
}
