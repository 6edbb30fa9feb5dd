/**
 * The contract of the seven lifecycle commands: HTTP bodies, path parameters and EventBridge
 * details (the HTTP body plus the path ids), all zod. OpenAPI and the events' JSON Schemas are
 * generated from these.
 */
import * as z from '../platform/zod.js';

export const eventId = z.string().check(z.minLength(1), z.maxLength(128), z.describe('Idempotency key: the same eventId applies once.'));
export const instant = z.iso.datetime({ offset: true }).check(z.describe('ISO 8601 instant with offset'));
export const isoDate = z.iso.date().check(z.describe('YYYY-MM-DD'));
export const planCode = z
  .string()
  .check(
    z.regex(/^[a-z][a-z0-9_]{0,63}$/, 'a plan code such as free, premium, ultimate or ultimate_trial'),
    z.describe('Plan code: free, premium, ultimate, or a trial plan such as ultimate_trial'),
  );
export const seats = z.int().check(z.minimum(0), z.maximum(10_000_000));
export const namespaceId = z.int().check(z.positive(), z.maximum(Number.MAX_SAFE_INTEGER));
export const subscriptionId = z
  .string()
  .check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits and . _ : - only'));

/** A decimal string matching `pattern` (`message` otherwise), read as a number and then checked by `then`. */
const decimal = <T extends z.ZodMiniType<unknown, number>>(pattern: RegExp, message: string, then: T) =>
  z.pipe(z.pipe(z.string().check(z.regex(pattern, message)), z.transform(Number)), then);

/** A namespace id in a path: a positive integer written in decimal. */
export const namespaceIdParam = decimal(/^[1-9][0-9]{0,15}$/, 'a positive integer', namespaceId);

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
  nextReconciliationDate: z.optional(isoDate),
});

export const entitlementsBody = z.strictObject({
  ...base,
  seats: z.optional(seats),
  planCode: z.optional(planCode),
  nextReconciliationDate: z.optional(isoDate),
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
  lastMeasuredAt: z.nullable(instant),
  version: z.int().check(z.minimum(0)),
  updatedAt: z.nullable(instant),
});

export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.optional(z.unknown()) }),
});

/** `?limit=` of a paginated listing: a whole number from 1 to `max`, written in decimal. */
export const pageLimit = (max: number) =>
  z.optional(
    decimal(/^[1-9][0-9]{0,3}$/, `a whole number from 1 to ${max}`, z.number().check(z.maximum(max, `a whole number from 1 to ${max}`))),
  );
