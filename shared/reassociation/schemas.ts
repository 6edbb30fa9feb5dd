/**
 * The contract of force reassociation and its report: the operator's request, the answer, the
 * report's page (its query is shared/platform/report.ts `reportQuery`), all zod (OpenAPI is
 * generated from these).
 */
import * as z from '../platform/zod.js';
import { REASSOCIATION_REASONS } from './domain.js';
import { namespaceState } from '../lifecycle/events.js';
import { reportAnswer } from '../platform/report.js';
import { eventId, namespaceId, operatorNote, subscriptionId } from '../platform/schemas.js';

export const reassociationReason = z
  .enum(REASSOCIATION_REASONS)
  .check(z.describe('Why the link had to be repaired: the report counts each, so each use case can be removed'));

export const reassociationBody = z.strictObject({
  eventId,
  targetNamespaceId: namespaceId.check(z.describe('The namespace that gains the subscription')),
  reason: reassociationReason,
  note: operatorNote,
  dryRun: z.optional(z.boolean()).check(z.describe('Answer what would change, write nothing')),
  replacePaid: z
    .optional(z.boolean())
    .check(
      z.describe('Replace an active paid subscription the target holds (it loses its namespace); otherwise 409 target_has_subscription'),
    ),
});

export const reassociationPath = z.strictObject({ subscriptionId });

export const reassociationWarning = z.object({ code: z.string(), message: z.string() });

export const reassociationResult = z.object({
  dryRun: z.boolean(),
  before: z.object({ source: namespaceState, target: z.nullable(namespaceState) }),
  after: z.object({ source: namespaceState, target: namespaceState }),
  warnings: z.array(reassociationWarning),
});

export const reassociationRecord = z.object({
  eventId: z.string(),
  subscriptionId: z.string(),
  sourceNamespaceId: z.number(),
  targetNamespaceId: z.number(),
  reason: reassociationReason,
  note: z.string(),
  actor: z.string(),
  appliedAt: z.string(),
  replacePaid: z.boolean(),
  targetWasInTrial: z.boolean(),
  displacedSubscriptionId: z.nullable(z.string()),
  displacedWasActivePaid: z.boolean(),
  sourceVersion: z.number(),
  targetVersion: z.number(),
  warnings: z.array(z.string()),
});

export const reassociationReport = reportAnswer(reassociationRecord, REASSOCIATION_REASONS, {
  trialConversion: z.object({ targetWasInTrial: z.int(), targetNotInTrial: z.int() }),
});
