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

/**
 * How many characters a reader sees: not spaces, not control characters, not format characters
 * (zero-width spaces and joiners, bidi marks, the BOM, soft hyphens). A note of ten zero-width
 * spaces says nothing.
 *
 * @example
 * visibleLength('a\u200B b\u0007') // 2
 */
export const visibleLength = (text: string): number => text.replace(/[\s\p{Cc}\p{Cf}]/gu, '').length;

/**
 * Characters free text may not hold: bidi overrides and isolates (they make a note or a runbook read
 * differently from what it says, as in "Trojan Source"), and control characters other than newline
 * and tab (Markdown keeps its lines).
 */
const FORBIDDEN_IN_TEXT = /[\u202A-\u202E\u2066-\u2069\u0000-\u0008\u000B-\u001F\u007F-\u009F]/u;

/** Whether `text` holds no bidi override and no control character other than newline and tab. */
export const isCleanText = (text: string): boolean => !FORBIDDEN_IN_TEXT.test(text);

const CLEAN_TEXT_MESSAGE = 'no bidi override or control character other than newline and tab';

/**
 * Free text an operator writes (notes, Markdown runbooks): trimmed, at most `max` characters,
 * `minVisible` visible characters at least (visibleLength), no bidi override and no control
 * character but newline and tab.
 *
 * @example
 * const note = freeText({ max: 2000, minVisible: 10, describe: 'Why, in your words (10+ visible characters)' });
 */
export const freeText = (options: { max: number; minVisible?: number; describe: string }) => {
  const minVisible = options.minVisible ?? 0;
  return z.string().check(
    z.trim(),
    z.maxLength(options.max),
    z.refine(isCleanText, CLEAN_TEXT_MESSAGE),
    z.refine((text) => visibleLength(text) >= minVisible, `at least ${minVisible} visible characters: say why`),
    z.describe(options.describe),
  );
};

/** An operator's note on a change: why, in their words (10+ visible characters, 2000 at most). */
export const operatorNote = freeText({ max: 2000, minVisible: 10, describe: 'Why, in your words (10+ visible characters)' });
