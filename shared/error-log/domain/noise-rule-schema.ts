/**
 * The operator contract of noise rules, all zod (apart from the pure rules in ./noise-rules.ts, so
 * that the writer's bundle carries no schema it does not use).
 */
import * as z from '../../platform/zod.js';
import { freeText } from '../../platform/schemas.js';
import { FLOWS } from './sources.js';

/** A rule id: a slug (lowercase letters, digits and dashes), e.g. `zuora-sandbox-timeouts`. */
export const RULE_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export const ruleId = z
  .string()
  .check(z.regex(RULE_ID_PATTERN, 'a rule id: 1–64 lowercase letters, digits or dashes, not starting or ending with a dash'));

const matchText = (max: number, what: string) =>
  z.string().check(z.trim(), z.minLength(1, `${what} cannot be empty`), z.maxLength(max), z.describe(`Matches when the occurrence's ${what} is exactly this`));

/** What a rule matches: every field it names must match; at least one field. */
export const noiseMatch = z
  .strictObject({
    code: z.optional(matchText(100, 'code')),
    system: z.optional(matchText(100, 'system')),
    integration: z.optional(matchText(100, 'integration')),
    flow: z.optional(z.enum(FLOWS)),
    messageContains: z.optional(
      z
        .string()
        .check(z.trim(), z.minLength(3, 'messageContains needs at least 3 characters'), z.maxLength(500), z.describe('Case-insensitive substring of the redacted message')),
    ),
  })
  .check(
    z.refine((m) => Object.values(m).some((v) => v !== undefined), {
      message: 'Name at least one of code, system, integration, flow, messageContains: a rule that matches everything would silence the whole log',
    }),
  );

/** The body of `PUT /v1/noise-rules/{ruleId}`. */
export const noiseRuleBody = z.strictObject({
  match: noiseMatch,
  reason: freeText({ max: 1_000, minVisible: 1, describe: 'Why these failures are noise' }),
  expiresAt: z.optional(z.iso.datetime({ offset: true }).check(z.describe('The rule stops applying at this instant (ISO 8601)'))),
  expectedVersion: z
    .optional(z.int().check(z.minimum(0)))
    .check(z.describe('Apply only if the rule is at this version (0: only if it does not exist yet); otherwise 409 version_conflict')),
});

export type NoiseRuleBody = z.infer<typeof noiseRuleBody>;
