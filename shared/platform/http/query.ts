/**
 * The query strings of routes that take none, or only `?dryRun=`: anything else is a 400, not
 * ignored (a caller's typo must not pass silently).
 */
import * as z from '../zod.js';

export const noQuery = z.strictObject({});

/** `?dryRun=true` on a mutating route: answer what would change, write nothing. */
export const dryRunQuery = z.strictObject({ dryRun: z.optional(z.enum(['true', 'false'])) });
