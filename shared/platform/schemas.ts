/**
 * The zod primitives every contract is built from: idempotency keys, instants and dates, the ids
 * that address namespaces and subscriptions (in bodies and in paths), page limits and the error
 * body. A feature's own schemas sit in its folder (shared/<feature>/schemas.ts).
 */
import * as z from './zod.js';

export const eventId = z.string().check(z.minLength(1), z.maxLength(128), z.describe('Idempotency key: the same eventId applies once.'));

export const instant = z.iso.datetime({ offset: true }).check(z.describe('ISO 8601 instant with offset'));

export const isoDate = z.iso.date().check(z.describe('YYYY-MM-DD'));

export const namespaceId = z.int().check(z.positive(), z.maximum(Number.MAX_SAFE_INTEGER));

export const subscriptionId = z
  .string()
  .check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits and . _ : - only'));

/** A decimal string matching `pattern` (`message` otherwise), read as a number and then checked by `then`. */
const decimal = <T extends z.ZodMiniType<unknown, number>>(pattern: RegExp, message: string, then: T) =>
  z.pipe(z.pipe(z.string().check(z.regex(pattern, message)), z.transform(Number)), then);

/** A namespace id in a path: a positive integer written in decimal. */
export const namespaceIdParam = decimal(/^[1-9][0-9]{0,15}$/, 'a positive integer', namespaceId);

export const subscriptionPath = z.strictObject({ subscriptionId });

export const namespacePath = z.strictObject({ namespaceId: namespaceIdParam });

export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.optional(z.unknown()) }),
});

/** `?limit=` of a paginated listing: a whole number from 1 to `max`, written in decimal. */
export const pageLimit = (max: number) =>
  z.optional(
    decimal(/^[1-9][0-9]{0,3}$/, `a whole number from 1 to ${max}`, z.number().check(z.maximum(max, `a whole number from 1 to ${max}`))),
  );
