/**
 * The contract of the seven lifecycle commands: HTTP bodies, path parameters and EventBridge
 * details (the HTTP body plus the path ids), all zod. OpenAPI and the events' JSON Schemas are
 * generated from these.
 */
import * as z from '../platform/zod.js';
import { eventId, instant, isoDate, namespaceId, operatorNote, subscriptionId } from '../platform/schemas.js';
import { reportAnswer } from '../platform/report.js';
import { DEFAULT_PLAN_CATALOG, planKind } from './domain/plans.js';
import { CORRECTION_REASONS } from './domain/types.js';
import type { PlanKind } from './domain/plans.js';
import { planCatalog } from './plans.js';

/** Any plan code, as the state shows it. */
export const planCode = z
  .string()
  .check(
    z.regex(/^[a-z][a-z0-9_]{0,63}$/, 'a plan code such as free, premium, ultimate or ultimate_trial'),
    z.describe('Plan code: free, premium, ultimate, or a trial plan such as ultimate_trial'),
  );

const KINDS: Record<PlanKind, string> = { paid: 'a paid plan', trial: 'a trial plan', free: 'a free plan' };

/**
 * A plan code of `kind` in this process's catalog (shared/lifecycle/plans.ts): an unknown code, or
 * one of another kind, is invalid input naming the codes that are accepted.
 */
const planOf = (kind: PlanKind) =>
  z.string().check(
    z.superRefine((code, ctx) => {
      const catalog = planCatalog.get();
      if (planKind(catalog, code) !== kind) {
        ctx.addIssue({ code: 'custom', message: `${KINDS[kind]} code of the catalog: ${catalog[kind].join(', ')}`, input: code });
      }
    }),
    z.describe(`${KINDS[kind][0]!.toUpperCase()}${KINDS[kind].slice(1)} code; by default one of ${DEFAULT_PLAN_CATALOG[kind].join(', ')} (PLAN_CATALOG replaces the catalog)`),
  );

/** What `created`, renewals and entitlements updates take: a paid plan, billed on its overage. */
export const paidPlanCode = planOf('paid');
/** What a trial start takes: a trial plan, never billed. */
export const trialPlanCode = planOf('trial');
export const seats = z.int().check(z.minimum(0), z.maximum(10_000_000));

const base = { eventId, occurredAt: instant };

export const createdBody = z.strictObject({
  ...base,
  subscriptionId,
  namespaceId,
  planCode: paidPlanCode,
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
  planCode: z.optional(paidPlanCode),
  autoRenew: z.optional(z.boolean()),
  nextReconciliationDate: z.optional(isoDate),
});

export const entitlementsBody = z.strictObject({
  ...base,
  seats: z.optional(seats),
  planCode: z.optional(paidPlanCode),
  autoRenew: z.optional(z.boolean()),
  nextReconciliationDate: z.optional(isoDate),
});

export const expiredBody = z.strictObject({ ...base, expiredOn: isoDate });

export const trialStartedBody = z.strictObject({ ...base, planCode: trialPlanCode, trialStartsOn: isoDate, trialEndsOn: isoDate });

export const trialExtendedBody = z.strictObject({ ...base, trialEndsOn: isoDate.check(z.describe("The trial's new last day; one on or before its start changes nothing")) });

export const reconciliationBody = z.strictObject({
  ...base,
  termStartDate: isoDate.check(z.describe('The start of the term whose overage was billed: the current or the previous term')),
  seatsBilled: z.int().check(z.minimum(1), z.maximum(10_000_000)),
});

export const trialEndedBody = z.strictObject({ ...base, endedOn: isoDate });

export const seatUsageBody = z.strictObject({ ...base, seatsInUse: seats, measuredAt: instant });

/**
 * A check that a period ends after it starts: a command whose dates contradict each other is invalid
 * input whatever the state (400 `validation_failed` naming the end), never a rule's refusal.
 */
export const endsAfterStart = <From extends string, To extends string>(from: From, to: To) =>
  z.refine<Record<From | To, string>>((body) => body[to] > body[from], {
    message: `${to} must be after ${from}`,
    path: [to],
  });

/** A term that ended, kept for reconciliation (the state's `previousTerm`). */
export const termSummary = z.object({
  subscriptionId,
  planCode,
  seats,
  startDate: isoDate,
  endDate: isoDate,
  expiredOn: z.nullable(isoDate),
  maxSeatsUsed: seats,
  maxSeatsUsedChangedAt: z.nullable(instant),
  seatsBilled: seats,
  seatsOwed: seats,
  nextReconciliationDate: z.nullable(isoDate),
});

/** An operator's correction of a term's peak (POST /v1/namespaces/{namespaceId}/seat-statistics/corrections). */
export const correctionBody = z.strictObject({
  eventId,
  termStartDate: isoDate.check(z.describe('The start of the term whose peak is corrected: the current or the previous term')),
  maxSeatsUsed: seats.check(z.describe("The term's peak from now on; later measurements above it still raise it")),
  reason: z.enum(CORRECTION_REASONS).check(z.describe('Why: the corrections report counts each')),
  note: operatorNote,
  dryRun: z.optional(z.boolean()).check(z.describe('Answer the state it would produce, write nothing')),
});

/** An applied correction, as the corrections report lists it. */
export const correctionRecord = z.object({
  eventId: z.string(),
  namespaceId,
  subscriptionId: z.nullable(z.string()),
  termStartDate: isoDate,
  maxSeatsUsed: z.int(),
  previousMaxSeatsUsed: z.nullable(z.int()).check(z.describe("The term's peak before the correction")),
  reason: z.enum(CORRECTION_REASONS),
  note: z.string(),
  actor: z.string().check(z.describe("The operator's id")),
  appliedAt: z.string(),
});

/** GET /v1/seat-statistics/corrections: the corrections of a range, newest first, counted by reason and ISO week. */
export const correctionsReport = reportAnswer(correctionRecord, CORRECTION_REASONS);

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
  seatsBilled: seats.check(z.describe("Seats of the current term's overage billed by reconciliations")),
  seatsOwed: seats,
  trial: z.boolean(),
  trialStartsOn: z.nullable(isoDate),
  trialEndsOn: z.nullable(isoDate),
  startDate: z.nullable(isoDate),
  endDate: z.nullable(isoDate),
  autoRenew: z.boolean(),
  nextReconciliationDate: z.nullable(isoDate),
  status: z.enum(['active', 'expired', 'none']),
  expiredOn: z.nullable(isoDate).check(z.describe('The day the current term expired on; null while it has not')),
  lastMeasuredAt: z.nullable(instant),
  previousTerm: z.nullable(termSummary).check(z.describe('The term before the current one, with its peak and owed seats (for reconciliation)')),
  version: z.int().check(z.minimum(0)),
  updatedAt: z.nullable(instant),
});

