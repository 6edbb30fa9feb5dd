/**
 * What operators manage without a deploy: noise rules and runbooks, one function for both (they
 * share the `errors` table and the way changes are kept). Operator routes; issue 19 will restrict
 * them to admin operators (roles).
 */
import * as z from '../platform/zod.js';
import type { FunctionSpec } from '../platform/manifest-types.js';
import { FLOWS, SUBJECT_KINDS } from './domain/sources.js';
import { noiseRuleBody } from './domain/noise-rule-schema.js';
import { runbookBody } from './domain/runbook-schema.js';

const instant = z.string().check(z.describe('ISO 8601 instant'));

const noiseMatchView = z.object({
  code: z.optional(z.string()),
  system: z.optional(z.string()),
  integration: z.optional(z.string()),
  flow: z.optional(z.enum(FLOWS)),
  messageContains: z.optional(z.string()),
});

export const noiseRuleView = z.object({
  id: z.string(),
  source: z.enum(['default', 'stored']).check(z.describe('default: built from ERROR_LOG_NOISE_CODES; stored: saved by an operator')),
  version: z.int(),
  match: noiseMatchView,
  reason: z.string(),
  expiresAt: z.optional(instant),
  active: z.boolean(),
  matched: z.int().check(z.describe('Occurrences this rule silenced (each event once)')),
  lastMatchedAt: z.nullable(instant),
  updatedAt: z.nullable(instant),
  updatedBy: z.nullable(z.string()),
});

const savedView = <S extends z.ZodMiniType>(body: S) =>
  z.object({ id: z.string(), body: z.nullable(body), version: z.int(), createdAt: instant, updatedAt: instant, updatedBy: z.string() });

const noiseSpec = z.object({ match: noiseMatchView, reason: z.string(), expiresAt: z.optional(instant) });
const runbookSpec = z.object({
  title: z.string(),
  steps: z.string(),
  owner: z.optional(z.string()),
  links: z.optional(z.array(z.object({ title: z.string(), url: z.string() }))),
});

export const runbookView = z.extend(runbookSpec, {
  code: z.string(),
  source: z.enum(['default', 'stored']),
  version: z.int().check(z.describe('0: the runbook the service ships, never saved')),
  updatedAt: z.nullable(instant),
  updatedBy: z.nullable(z.string()),
});

const history = <S extends z.ZodMiniType>(body: S) =>
  z.object({
    id: z.string(),
    items: z.array(
      z.object({ id: z.string(), version: z.int(), operator: z.string(), changedAt: instant, action: z.enum(['saved', 'deleted']), before: z.nullable(body), after: z.nullable(body) }),
    ),
    nextCursor: z.nullable(z.string()),
  });

const deleteBody = z.strictObject({
  expectedVersion: z.optional(z.int().check(z.minimum(0))).check(z.describe('Delete only if the rule is at this version; otherwise 409 version_conflict')),
});

/** What GET and PATCH /v1/errors/{id} add to a record (shared/error-log/record-view.ts). */
export const recordGuidanceSchema = {
  runbook: z.nullable(
    z.object({
      code: z.string(),
      title: z.string(),
      steps: z.string().check(z.describe('What to do, in Markdown')),
      owner: z.optional(z.string()),
      links: z.optional(z.array(z.object({ title: z.string(), url: z.string() }))),
      source: z.enum(['default', 'stored']).check(z.describe('default: shipped with the service; stored: saved by an operator')),
    }),
  ),
  links: z.array(z.object({ kind: z.enum(SUBJECT_KINDS), url: z.string() })).check(z.describe('Links to the systems of record of the subject (ERROR_LOG_SUBJECT_LINKS)')),
};

export const errorLogOpsFunctions: readonly FunctionSpec[] = [
  {
    name: 'error-log-admin',
    description: 'Noise rules and runbooks of the error log: what operators change without a deploy, each change kept with its operator.',
    entry: 'functions/error-log-admin/handler.ts',
    triggers: [
      {
        kind: 'http',
        method: 'GET',
        path: '/v1/noise-rules',
        auth: 'operator',
        role: 'viewer',
        doc: { summary: 'Every noise rule (saved and built-in), whether it is in force, and how many occurrences it silenced (admin operators)', response: z.object({ items: z.array(noiseRuleView) }) },
      },
      {
        kind: 'http',
        method: 'PUT',
        path: '/v1/noise-rules/{ruleId}',
        auth: 'operator',
        role: 'admin',
        doc: {
          summary: 'Saves a noise rule (admin operators): matching occurrences received from now on are counted on it, not stored and not announced. The same rule again changes nothing; 201 when created',
          body: noiseRuleBody,
          response: savedView(noiseSpec),
        },
      },
      {
        kind: 'http',
        method: 'DELETE',
        path: '/v1/noise-rules/{ruleId}',
        auth: 'operator',
        role: 'admin',
        doc: { summary: 'Deletes a noise rule, a built-in one included (it stays deleted); again changes nothing (admin operators)', body: deleteBody, response: savedView(noiseSpec) },
      },
      {
        kind: 'http',
        method: 'GET',
        path: '/v1/noise-rules/{ruleId}/history',
        auth: 'operator',
        role: 'viewer',
        doc: { summary: "A noise rule's changes, newest first, with operator, before and after (admin operators)", response: history(noiseSpec) },
      },
      {
        kind: 'http',
        method: 'GET',
        path: '/v1/runbooks',
        auth: 'operator',
        role: 'viewer',
        doc: { summary: 'Every runbook (saved, and those the service ships), by code, without their steps (operators)', response: z.object({ items: z.array(runbookView) }) },
      },
      {
        kind: 'http',
        method: 'GET',
        path: '/v1/runbooks/{code}',
        auth: 'operator',
        role: 'viewer',
        doc: { summary: 'The runbook of an error code: the saved one, else the one the service ships (operators)', response: runbookView },
      },
      {
        kind: 'http',
        method: 'PUT',
        path: '/v1/runbooks/{code}',
        auth: 'operator',
        role: 'admin',
        doc: { summary: 'Saves the runbook of an error code (admin operators); it replaces the shipped one. The same runbook again changes nothing; 201 when created', body: runbookBody, response: savedView(runbookSpec) },
      },
      {
        kind: 'http',
        method: 'GET',
        path: '/v1/runbooks/{code}/history',
        auth: 'operator',
        role: 'viewer',
        doc: { summary: "A runbook's saved versions, newest first, with operator (operators)", response: history(runbookSpec) },
      },
    ],
    tables: { errors: 'readWrite' },
    config: ['errorLogNoiseCodes'],
  },
];
