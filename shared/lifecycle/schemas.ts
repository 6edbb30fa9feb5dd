/**
 * The contract of the seven lifecycle commands: HTTP bodies, path parameters and EventBridge
 * details (the HTTP body plus the path ids), all zod. OpenAPI and the events' JSON Schemas are
 * generated from these.
 */
import * as z from '../platform/zod.js';
import { eventId, instant, isoDate, namespaceId, subscriptionId } from '../platform/schemas.js';

export const planCode = z
  .string()
  .check(
    z.regex(/^[a-z][a-z0-9_]{0,63}$/, 'a plan code such as free, premium, ultimate or ultimate_trial'),
    z.describe('Plan code: free, premium, ultimate, or a trial plan such as ultimate_trial'),
  );
export const seats = z.int().check(z.minimum(0), z.maximum(10_000_000));

const base = { eventId, occurredAt: instant };

export const createdBody = z.strictObject({
  ...base,
  subscriptionId,
  namespaceId,
  planCode,
  seats,
  startDate: isoDate,
  endDate: isoDate,
  autoRenew: z.optional(z.boolean()),
  nextReconciliationDate: z.optional(isoDate),
});

export const renewedBody = z.strictObject({
  ...base,
  startDate: isoDate,
  endDate: isoDate,
  seats: z.optional(seats),
  planCode: z.optional(planCode),
  autoRenew: z.optional(z.boolean()),
  nextReconciliationDate: z.optional(isoDate),
});

export const entitlementsBody = z.strictObject({
  ...base,
  seats: z.optional(seats),
  planCode: z.optional(planCode),
  autoRenew: z.optional(z.boolean()),
  nextReconciliationDate: z.optional(isoDate),
});

export const expiredBody = z.strictObject({ ...base, expiredOn: isoDate });

export const trialStartedBody = z.strictObject({ ...base, planCode, trialStartsOn: isoDate, trialEndsOn: isoDate });

export const trialEndedBody = z.strictObject({ ...base, endedOn: isoDate });

export const seatUsageBody = z.strictObject({ ...base, seatsInUse: seats, measuredAt: instant });

/**
 * A check that a period ends after it starts: a command whose dates contradict each other is invalid
 * input whatever the state (400 `validation_failed` naming the end), never a rule's refusal.
 */
export const endsAfterStart = <From extends string, To extends string>(from: From, to: To) =>
  z.refine<Record<From | To, string>>((body) => body[to] > body[from], {
    message: `${to} must be after ${from}`,
    path: [to],
  });

/** A term that ended, kept for reconciliation (the state's `previousTerm`). */
export const termSummary = z.object({
  subscriptionId,
  planCode,
  seats,
  startDate: isoDate,
  endDate: isoDate,
  expiredOn: z.nullable(isoDate),
  maxSeatsUsed: seats,
  maxSeatsUsedChangedAt: z.nullable(instant),
  seatsOwed: seats,
  nextReconciliationDate: z.nullable(isoDate),
});

/** The namespace subscription state as the API answers it. */
export const namespaceState = z.object({
  namespaceId,
  subscriptionId: z.nullable(subscriptionId),
  planCode,
  paidPlanCode: z.nullable(planCode),
  seats,
  seatsInUse: seats,
  maxSeatsUsed: seats,
  maxSeatsUsedChangedAt: z.nullable(instant),
  seatsOwed: seats,
  trial: z.boolean(),
  trialStartsOn: z.nullable(isoDate),
  trialEndsOn: z.nullable(isoDate),
  startDate: z.nullable(isoDate),
  endDate: z.nullable(isoDate),
  autoRenew: z.boolean(),
  nextReconciliationDate: z.nullable(isoDate),
  status: z.enum(['active', 'expired', 'none']),
  expiredOn: z.nullable(isoDate).check(z.describe('The day the current term expired on; null while it has not')),
  lastMeasuredAt: z.nullable(instant),
  previousTerm: z.nullable(termSummary).check(z.describe('The term before the current one, with its peak and owed seats (for reconciliation)')),
  version: z.int().check(z.minimum(0)),
  updatedAt: z.nullable(instant),
});

