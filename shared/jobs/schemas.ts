/** The contract of an operator's job run: `POST /v1/jobs/<job>/runs`. */
import * as z from '../platform/zod.js';
import { isoDate } from '../platform/schemas.js';

const DAY_MS = 86_400_000;

/**
 * The latest day an operator's run may be for: tomorrow (UTC). A run for a later day would mark a
 * digest period done before it has ended, or file audit findings that no later run can resolve.
 * Scheduled runs are for the day their schedule fires and never need this bound.
 *
 * @example
 * latestAsOf(Date.parse('2026-03-01T23:59:00Z')) // '2026-03-02'
 */
export const latestAsOf = (now: number = Date.now()): string => new Date(now + DAY_MS).toISOString().slice(0, 10);

/**
 * `YYYY-MM-DD` strings compare as their days. Reads the clock at parse time, so the bound moves with
 * the day; a string that is not a date is left to the format check (one message per mistake).
 */
const notAfterTomorrow = z.refine<string>((day) => !isoDate.safeParse(day).success || day <= latestAsOf(), {
  error: () => `Must be ${latestAsOf()} (tomorrow, UTC) or earlier: a run for a later day would close periods that have not ended.`,
});

/** The body (optional: none or `{}` runs the job for today). */
export const jobRunBody = z.strictObject({
  asOf: z.optional(isoDate.check(notAfterTomorrow)).check(z.describe('The day to run for (UTC); today when omitted; at most tomorrow')),
});
