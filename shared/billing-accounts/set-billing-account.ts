/**
 * Applies "customer's billing account set" exactly once: read (one consistent BatchGetItem of the
 * customer and the idempotency record), ask the `account_data_persistence` flag through OpenFeature,
 * decide with the pure rule, write (one TransactWriteItems). Replays, conflicts and lost races are
 * handled as for the lifecycle commands (shared/lifecycle/execute.ts).
 */
import { ErrorCode, OpenFeature } from '@openfeature/server-sdk';
import { setBillingAccount } from './domain.js';
import type { BillingAccountSetCommand, Customer } from './domain.js';
import { conflict } from '../platform/http/errors.js';
import { ConcurrentUpdateError, StoreUnavailableError } from '../platform/dynamodb/errors.js';
import { CustomerEventAppliedError, commitBillingAccountSet, readForBillingAccountSet, toCustomer } from './store.js';
import type { CustomerIdempotencyRecord } from './store.js';
import { idempotencyExpiresAt } from '../platform/dynamodb/idempotency.js';
import { MAX_ATTEMPTS, assertSameRequest, backoff, concurrentUpdate, requestHash } from '../platform/exactly-once.js';
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
 */
export async function accountDataPersistence(customerId: string): Promise<boolean> {
  const details = await OpenFeature.getClient().getBooleanDetails(ACCOUNT_DATA_PERSISTENCE, false, { targetingKey: customerId });
  if (details.errorCode && details.errorCode !== ErrorCode.FLAG_NOT_FOUND) {
    throw new StoreUnavailableError(`flag ${ACCOUNT_DATA_PERSISTENCE} could not be evaluated (${details.errorCode}): ${details.errorMessage ?? ''}`);
  }
  return details.value;
}

/**
 * Records a customer's billing account, and keeps the billing-account data in step when the flag
 * is on for the customer.
 *
 * @example
 * const { customer } = await executeBillingAccountSet(
 *   { type: 'billingAccountSet', eventId: 'e-1', occurredAt: '2026-05-01T10:00:00Z', customerId: 'c-1', zuoraAccountId: 'Z-1' },
 *   { actor: 'arn:aws:iam::123456789012:role/portal' },
 * );
 */
export async function executeBillingAccountSet(command: BillingAccountSetCommand, options: CommandOptions): Promise<BillingAccountSetResult> {
  const hash = requestHash(command);
  const dryRun = options.dryRun ?? false;
  const now = options.now ?? (() => new Date());
  let persist: boolean | undefined;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const set = await readForBillingAccountSet({ customerId: command.customerId, eventId: command.eventId });
    if (set.idempotency) return replay(set.idempotency, hash, dryRun);
    // Asked once per request: a retry after a lost race applies the same decision.
    persist ??= await accountDataPersistence(command.customerId);
    const appliedAt = now().toISOString();
    const result = setBillingAccount(set.customer, command, { appliedAt, persist });
    if (!result.ok) throw conflict(result.rejection.code, result.rejection.message);
    if (dryRun) return { customer: result.customer, replayed: false, dryRun };
    const idempotency: CustomerIdempotencyRecord = {
      eventId: command.eventId,
      requestHash: hash,
      commandType: command.type,
      customerId: command.customerId,
      result: result.customer,
      appliedAt,
      expiresAt: idempotencyExpiresAt(now()),
    };
    try {
      await commitBillingAccountSet({ before: set.customer, after: result.customer, membership: result.membership, idempotency });
      return { customer: result.customer, replayed: false, dryRun };
    } catch (error) {
      if (error instanceof CustomerEventAppliedError) return replay(error.record, hash, dryRun);
      if (!(error instanceof ConcurrentUpdateError)) throw error;
      await backoff(attempt);
    }
  }
  throw concurrentUpdate(`customer ${command.customerId}`);
}

function replay(record: CustomerIdempotencyRecord, hash: string, dryRun: boolean): BillingAccountSetResult {
  assertSameRequest(record, hash);
  return { customer: toCustomer(record.result as unknown as Record<string, unknown>), replayed: true, dryRun };
}
