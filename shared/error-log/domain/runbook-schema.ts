/**
 * The operator contract of runbooks, all zod (apart from the pure rules and the shipped runbooks in
 * ./runbooks.ts, so that the bundles that only link runbooks carry no schema).
 */
import * as z from '../../platform/zod.js';
import { freeText } from '../../platform/schemas.js';

/** An error code as runbooks are keyed: this service's (`renewal_not_processed`) or a reporter's (`VALIDATION_ERROR`). */
export const RUNBOOK_CODE_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;

export const runbookCode = z.string().check(z.regex(RUNBOOK_CODE_PATTERN, 'an error code: a letter, then up to 99 letters, digits, _, . or -'));

export const MAX_STEPS_CHARS = 20_000;
export const MAX_LINKS = 20;
const MAX_URL_BYTES = 2_048;

const utf8Bytes = (text: string): number => new TextEncoder().encode(text).length;

export const runbookLink = z.strictObject({
  title: freeText({ max: 200, minVisible: 1, describe: 'What the link is' }),
  url: z
    .url({ protocol: /^https?$/ })
    .check(
      z.refine((u) => utf8Bytes(u) <= MAX_URL_BYTES, `a link of at most ${MAX_URL_BYTES} bytes`),
      z.describe('An http(s) URL, at most 2 KB'),
    ),
});

/** The body of `PUT /v1/runbooks/{code}`. */
export const runbookBody = z.strictObject({
  title: freeText({ max: 200, minVisible: 1, describe: 'The runbook title' }),
  steps: freeText({ max: MAX_STEPS_CHARS, minVisible: 10, describe: `What to do, in Markdown (at most ${MAX_STEPS_CHARS} characters; newlines kept)` }),
  owner: z.optional(freeText({ max: 200, minVisible: 1, describe: 'Who to ask: a team or a person' })),
  links: z.optional(z.array(runbookLink).check(z.maxLength(MAX_LINKS))),
  expectedVersion: z
    .optional(z.int().check(z.minimum(0)))
    .check(z.describe('Apply only if the runbook is at this version (0: only if none was saved yet); otherwise 409 version_conflict')),
});

export type RunbookBody = z.infer<typeof runbookBody>;
