/**
 * The contract of the seven lifecycle commands: HTTP bodies, path parameters and EventBridge
 * details (the HTTP body plus the path ids), all zod. OpenAPI and the events' JSON Schemas are
 * generated from these.
 */
import * as z from 'zod';

export const eventId = z.string().min(1).max(128).describe('Idempotency key: the same eventId applies once.');
export const instant = z.iso.datetime({ offset: true }).describe('ISO 8601 instant with offset');
export const isoDate = z.iso.date().describe('YYYY-MM-DD');
export const planCode = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'a plan code such as free, premium, ultimate or ultimate_trial')
  .describe('Plan code: free, premium, ultimate, or a trial plan such as ultimate_trial');
export const seats = z.number().int().min(0).max(10_000_000);
export const namespaceId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const subscriptionId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits and . _ : - only');

/** A namespace id in a path: a positive integer written in decimal. */
export const namespaceIdParam = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, 'a positive integer')
  .transform(Number)
  .pipe(namespaceId);

const base = { eventId, occurredAt: instant };

export const createdBody = z.strictObject({
  ...base,
  subscriptionId,
  namespaceId,
  planCode,
  seats,
  startDate: isoDate,
  endDate: isoDate,
  autoRenew: z.boolean().optional(),
  nextReconciliationDate: isoDate.optional(),
});

export const renewedBody = z.strictObject({
  ...base,
  startDate: isoDate,
  endDate: isoDate,
  seats: seats.optional(),
  planCode: planCode.optional(),
  nextReconciliationDate: isoDate.optional(),
});

export const entitlementsBody = z.strictObject({
  ...base,
  seats: seats.optional(),
  planCode: planCode.optional(),
  nextReconciliationDate: isoDate.optional(),
});

export const expiredBody = z.strictObject({ ...base, expiredOn: isoDate });

export const trialStartedBody = z.strictObject({ ...base, planCode, trialStartsOn: isoDate, trialEndsOn: isoDate });

export const trialEndedBody = z.strictObject({ ...base, endedOn: isoDate });

export const seatUsageBody = z.strictObject({ ...base, seatsInUse: seats, measuredAt: instant });

export const subscriptionPath = z.strictObject({ subscriptionId });
export const namespacePath = z.strictObject({ namespaceId: namespaceIdParam });

/** The namespace subscription state as the API answers it. */
export const namespaceState = z.object({
  namespaceId,
  subscriptionId: subscriptionId.nullable(),
  planCode,
  paidPlanCode: planCode.nullable(),
  seats,
  seatsInUse: seats,
  maxSeatsUsed: seats,
  maxSeatsUsedChangedAt: instant.nullable(),
  seatsOwed: seats,
  trial: z.boolean(),
  trialStartsOn: isoDate.nullable(),
  trialEndsOn: isoDate.nullable(),
  startDate: isoDate.nullable(),
  endDate: isoDate.nullable(),
  autoRenew: z.boolean(),
  nextReconciliationDate: isoDate.nullable(),
  status: z.enum(['active', 'expired', 'none']),
  lastMeasuredAt: instant.nullable(),
  version: z.number().int().min(0),
  updatedAt: instant.nullable(),
});

export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

/** `?limit=` of a paginated listing: a whole number from 1 to `max`, written in decimal. */
export const pageLimit = (max: number) =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,3}$/, `a whole number from 1 to ${max}`)
    .transform(Number)
    .pipe(z.number().max(max, `a whole number from 1 to ${max}`))
    .optional();
