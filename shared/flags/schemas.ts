/**
 * The operator contract of feature flags, all zod: the name in the path, the change an operator
 * sends, and what the routes answer. OpenAPI is generated from these.
 */
import * as z from '../platform/zod.js';
import { FLAG_NAME_PATTERN, isValidPercentage } from './domain.js';
import { isCleanText, pageLimit } from '../platform/schemas.js';

export const flagName = z
  .string()
  .check(
    z.regex(FLAG_NAME_PATTERN, 'a flag name: a lowercase letter, then up to 63 lowercase letters, digits or _'),
    z.describe('Flag name, e.g. account_data_persistence'),
  );

/** An actor id: for billing flags, a customer id. Never empty, never only spaces. */
export const actorId = z
  .string()
  .check(
    z.minLength(1, 'an actor id cannot be empty'),
    z.maxLength(256),
    z.regex(/\S/, 'an actor id cannot be only spaces'),
    z.refine(isCleanText, 'no bidi override or control character'),
  );

export const MAX_ACTORS = 1_000;

/**
 * The actor list's size in UTF-8, at most. A flag change's history item keeps the gates before and
 * after, so two lists, and DynamoDB refuses an item above 400 KB: 150 KB each leaves room for the
 * rest. 1,000 ids of 256 four-byte characters would be 1 MB.
 */
export const MAX_ACTORS_BYTES = 150 * 1024;

const utf8 = new TextEncoder();
/** The list's size as the item stores it: each id's UTF-8 bytes plus a few for its attribute. */
export const actorsBytes = (actors: readonly string[]): number => actors.reduce((sum, actor) => sum + utf8.encode(actor).length + 3, 0);

export const percentageOfActors = z
  .number()
  .check(
    z.minimum(0),
    z.maximum(100),
    z.refine(isValidPercentage, 'a percentage from 0 to 100 with at most three decimals'),
    z.describe('Percentage of actors, 0–100, at most three decimals (Flipper buckets)'),
  );

export const flagPath = z.strictObject({ name: flagName });

/** PUT /v1/flags/{name}: the gates it names are replaced, the others kept; creates the flag (all gates off) first when missing. */
export const flagChangeBody = z.strictObject({
  enabled: z.optional(z.boolean()).check(z.describe('The boolean gate: on for everyone')),
  actors: z
    .optional(
      z.array(actorId).check(
        z.maxLength(MAX_ACTORS),
        z.refine((actors) => actorsBytes(actors) <= MAX_ACTORS_BYTES, `at most ${MAX_ACTORS_BYTES / 1024} KB of actor ids in all (the flag's history keeps the list twice, under DynamoDB's 400 KB item limit)`),
      ),
    )
    .check(z.describe('The actor gate: replaces the list of actor ids')),
  percentageOfActors: z.optional(percentageOfActors),
  expectedVersion: z
    .optional(z.int().check(z.minimum(0)))
    .check(z.describe('Apply only if the flag is at this version (0: only if it does not exist yet); otherwise 409 version_conflict')),
});

const instant = z.string().check(z.describe('ISO 8601 instant'));

export const flagGates = z.object({ enabled: z.boolean(), actors: z.array(z.string()), percentageOfActors: z.number() });

export const flagView = z.extend(flagGates, {
  name: z.string(),
  version: z.int(),
  createdAt: instant,
  updatedAt: instant,
  updatedBy: z.string().check(z.describe('The operator who made the last change')),
});

export const flagList = z.object({ items: z.array(flagView) });

export const flagHistory = z.object({
  name: z.string(),
  items: z.array(
    z.object({
      name: z.string(),
      version: z.int(),
      operator: z.string(),
      before: z.nullable(flagGates),
      after: flagGates,
      changedAt: instant,
    }),
  ),
  nextCursor: z.nullable(z.string()),
});

export const historyQuery = z.strictObject({
  limit: pageLimit(100),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
});
