/**
 * Force reassociation: a support engineer moves a subscription from the namespace it is on (the
 * source) to another namespace (the target), within the same term. Pure rules, no I/O, no clock.
 *
 * The term travels whole: plan, seats, dates and the term's statistics (`maxSeatsUsed`,
 * `maxSeatsUsedChangedAt`) are never reset — this is the namespace-transfer case, and resetting the
 * peak would drop overage the customer owes. What belongs to a namespace rather than to the term
 * stays where it is: its own seat measurement (`seatsInUse`, `lastMeasuredAt`) and, on the source,
 * a trial running on top of the term. A target in a trial is converted as a paid `created` converts
 * it: the trial is cleared and the paid plan applies.
 *
 * Also here: the report's counts (by reason and ISO week, shared/platform/report.ts) and how
 * trial conversions still occur.
 */
import { emptyState, seatsOwed } from '../lifecycle/domain/rules.js';
import { addDays } from '../platform/dates.js';
import { appliedWithin, countByReasonAndWeek } from '../platform/report.js';
import type { CountedRecord, ReasonCounts } from '../platform/report.js';
import type { FoldState, IsoDate, IsoInstant, NamespaceState } from '../lifecycle/domain/types.js';

export const REASSOCIATION_REASONS = ['reseller_provisioning', 'trial_conversion', 'broken_association', 'other'] as const;
export type ReassociationReason = (typeof REASSOCIATION_REASONS)[number];

export interface ReassociationCommand {
  /** Idempotency key, 1–128 chars. */
  eventId: string;
  subscriptionId: string;
  targetNamespaceId: number;
  reason: ReassociationReason;
  /** Why, in the support engineer's words (10+ chars). */
  note: string;
  /** Replace an active paid subscription the target holds (it loses its namespace). */
  replacePaid: boolean;
}

export interface ReassociationInput {
  command: ReassociationCommand;
  /** The namespace the subscription's pointer names. */
  sourceNamespaceId: number;
  /** The source's stored state; null when none is stored (a broken association). */
  source: FoldState | null;
  /** The target's stored state; null when the namespace was never seen. */
  target: FoldState | null;
  /** When the change is applied (the service's clock). */
  appliedAt: IsoInstant;
}

export type ReassociationRejectionCode =
  | 'already_associated'
  | 'association_broken'
  | 'subscription_expired'
  | 'target_has_subscription';

export type ReassociationWarningCode =
  | 'paid_subscription_replaced'
  | 'previous_subscription_detached'
  | 'trial_converted'
  | 'trial_conversion_without_trial'
  | 'source_trial_kept'
  | 'term_already_ended'
  | 'target_usage_above_peak';

export interface ReassociationWarning {
  code: ReassociationWarningCode;
  message: string;
}

export interface ReassociationPlan {
  before: { source: FoldState; target: FoldState | null };
  after: { source: FoldState; target: FoldState };
  /** The subscription the target held before, which loses its association (its pointer is detached). */
  displaced: { subscriptionId: string; wasActivePaid: boolean } | null;
  /** Whether the target was in a trial when the subscription moved (the trial-conversion evidence). */
  targetWasInTrial: boolean;
  warnings: ReassociationWarning[];
}

export type ReassociationDecision =
  | { ok: true; plan: ReassociationPlan }
  | { ok: false; rejection: { code: ReassociationRejectionCode; message: string } };

const FREE_PLAN = 'free';

/** Whether a state holds an active paid term (a trial on top of it does not change that). */
const holdsActivePaidTerm = (state: NamespaceState): boolean => state.status === 'active' && state.subscriptionId !== null;

/**
 * Decides a force reassociation: the states of source and target after it, the warnings to show,
 * or the guard rail it meets. Pure: inputs are never mutated.
 *
 * @example
 * const decision = planReassociation({
 *   command: { eventId: 'r-1', subscriptionId: 'A-S1', targetNamespaceId: 8, reason: 'reseller_provisioning',
 *     note: 'Reseller provisioned onto its own group', replacePaid: false },
 *   sourceNamespaceId: 7, source: stateOf7, target: null, appliedAt: '2026-03-01T10:00:00.000Z',
 * });
 * if (decision.ok) decision.plan.after.target; // A-S1's term on namespace 8, maxSeatsUsed unchanged
 * else decision.rejection.code;                 // e.g. 'target_has_subscription'
 */
export function planReassociation(input: ReassociationInput): ReassociationDecision {
  const { command, sourceNamespaceId, source, appliedAt } = input;
  const { subscriptionId, targetNamespaceId } = command;
  const target = input.target ?? emptyState(targetNamespaceId);

  if (targetNamespaceId === sourceNamespaceId || target.subscriptionId === subscriptionId) {
    return reject(
      'already_associated',
      `Subscription ${subscriptionId} is already associated with namespace ${targetNamespaceId}; nothing to move. ` +
        'Check the target namespace id.',
    );
  }
  if (!source || source.subscriptionId !== subscriptionId) {
    const holds = !source ? 'has no stored state' : `holds ${source.subscriptionId ?? 'no subscription'}`;
    return reject(
      'association_broken',
      `Subscription ${subscriptionId} points at namespace ${sourceNamespaceId}, but that namespace ${holds}, so there is ` +
        'no term to move. Check the subscription history and the reconciliation audit, then fix the association at its source.',
    );
  }
  if (source.status === 'expired') {
    return reject(
      'subscription_expired',
      `Subscription ${subscriptionId} expired (its term ended ${source.endDate ?? 'earlier'}); an expired subscription is ` +
        'not moved. Renew it first, or create the new subscription on the right namespace.',
    );
  }
  if (source.status !== 'active') {
    return reject(
      'association_broken',
      `Namespace ${sourceNamespaceId} holds ${subscriptionId} without an active term (status ${source.status}); there is ` +
        'no term to move. Check the subscription history.',
    );
  }
  const displacedId = target.subscriptionId;
  const targetHoldsPaid = holdsActivePaidTerm(target);
  if (targetHoldsPaid && !command.replacePaid) {
    return reject(
      'target_has_subscription',
      `Namespace ${targetNamespaceId} holds another active paid subscription, ${displacedId} (${target.paidPlanCode ?? target.planCode}, ` +
        `${target.seats} seats, until ${target.endDate ?? 'unknown'}). Expire it first, or send replacePaid: true to replace it ` +
        '(it then loses its namespace).',
    );
  }

  const warnings: ReassociationWarning[] = [];
  const targetWasInTrial = target.trial;
  const paidPlanCode = source.paidPlanCode ?? source.planCode;

  // The whole term moves; the target keeps its own measurement, and a trial there is converted.
  const targetAfter = finish(
    {
      ...target,
      subscriptionId,
      planCode: paidPlanCode,
      paidPlanCode,
      seats: source.seats,
      maxSeatsUsed: source.maxSeatsUsed,
      maxSeatsUsedChangedAt: source.maxSeatsUsedChangedAt,
      startDate: source.startDate,
      endDate: source.endDate,
      autoRenew: source.autoRenew,
      nextReconciliationDate: source.nextReconciliationDate,
      status: 'active',
      expiredOn: null,
      // A trial there is converted at the move, as a paid term starting then converts it: its dates
      // are kept, its last day the day before the move.
      trial: false,
      trialEndsOn: target.trial ? minDate(target.trialEndsOn, addDays(appliedAt.slice(0, 10), -1)) : target.trialEndsOn,
      // The term's history travels with it; the target's log starts again at the move.
      previousTerm: source.previousTerm,
      fold: { peakMeasured: source.fold.peakMeasured, termKey: null, previousTermKey: null },
    },
    target.version,
    appliedAt,
  );

  // The source loses the term and its statistics; its own measurement and a running trial stay.
  const cleared = emptyState(source.namespaceId);
  const sourceAfter = finish(
    {
      ...source,
      subscriptionId: null,
      planCode: source.trial ? source.planCode : FREE_PLAN,
      paidPlanCode: null,
      seats: cleared.seats,
      maxSeatsUsed: cleared.maxSeatsUsed,
      maxSeatsUsedChangedAt: cleared.maxSeatsUsedChangedAt,
      startDate: null,
      endDate: null,
      autoRenew: false,
      nextReconciliationDate: null,
      status: 'none',
      expiredOn: null,
      previousTerm: null,
      fold: { peakMeasured: false, termKey: null, previousTermKey: null },
    },
    source.version,
    appliedAt,
  );

  if (displacedId !== null && targetHoldsPaid) {
    warnings.push({
      code: 'paid_subscription_replaced',
      message:
        `Namespace ${targetNamespaceId} held active paid subscription ${displacedId} (${target.paidPlanCode ?? target.planCode}, ` +
        `${target.seats} seats, until ${target.endDate ?? 'unknown'}); it is replaced by ${subscriptionId} and detached: ` +
        `${displacedId} no longer provisions any namespace until it is created again.`,
    });
  } else if (displacedId !== null) {
    warnings.push({
      code: 'previous_subscription_detached',
      message: `Namespace ${targetNamespaceId} still referred to ${target.status} subscription ${displacedId}; that association is detached.`,
    });
  }
  if (targetWasInTrial) {
    warnings.push({
      code: 'trial_converted',
      message:
        `Namespace ${targetNamespaceId} was in a ${target.planCode} trial (${target.trialStartsOn} to ${target.trialEndsOn}); ` +
        `it is converted to the paid plan ${paidPlanCode}, as a paid subscription created there would convert it.`,
    });
  } else if (command.reason === 'trial_conversion') {
    warnings.push({
      code: 'trial_conversion_without_trial',
      message: `The reason is trial_conversion, but namespace ${targetNamespaceId} is not in a trial. Check the reason.`,
    });
  }
  if (source.trial) {
    warnings.push({
      code: 'source_trial_kept',
      message:
        `Namespace ${source.namespaceId} keeps its ${source.planCode} trial (until ${source.trialEndsOn}); when it ends ` +
        'the namespace returns to free.',
    });
  }
  if (source.endDate !== null && source.endDate <= appliedAt.slice(0, 10)) {
    warnings.push({
      code: 'term_already_ended',
      message:
        `The term of ${subscriptionId} ended on ${source.endDate} but no expiry or renewal was applied; it moves as active. ` +
        'Check that the renewal or expiry was sent.',
    });
  }
  if (target.seatsInUse > source.maxSeatsUsed) {
    warnings.push({
      code: 'target_usage_above_peak',
      message:
        `Namespace ${targetNamespaceId} last measured ${target.seatsInUse} seats in use, above the term's peak of ` +
        `${source.maxSeatsUsed}; the peak is not changed now and rises with the next seat usage report.`,
    });
  }

  return {
    ok: true,
    plan: {
      before: { source, target: input.target },
      after: { source: sourceAfter, target: targetAfter },
      displaced: displacedId === null ? null : { subscriptionId: displacedId, wasActivePaid: targetHoldsPaid },
      targetWasInTrial,
      warnings,
    },
  };
}

const minDate = (a: IsoDate | null, b: IsoDate): IsoDate => (a !== null && a < b ? a : b);

function finish(state: FoldState, version: number, appliedAt: IsoInstant): FoldState {
  const next = { ...state, version: version + 1, updatedAt: appliedAt };
  next.seatsOwed = seatsOwed(next);
  return next;
}

function reject(code: ReassociationRejectionCode, message: string): ReassociationDecision {
  return { ok: false, rejection: { code, message } };
}

// ---------------------------------------------------------------------------------------------
// The report: which use cases still need a force reassociation, per reason and per ISO week.

/** The parts of a reassociation record the report counts. */
export interface CountedReassociation extends CountedRecord<ReassociationReason> {
  targetWasInTrial: boolean;
}

export interface ReassociationCounts extends ReasonCounts<ReassociationReason> {
  /** For `trial_conversion`: was the target still in a trial? `targetWasInTrial > 0` means the use case still occurs. */
  trialConversion: { targetWasInTrial: number; targetNotInTrial: number };
}

/**
 * Counts reassociations applied within `from`..`to` (UTC dates, both included) by reason and by ISO
 * week. Records outside the range are ignored.
 *
 * @example
 * countReassociations([{ reason: 'other', appliedAt: '2026-03-03T10:00:00.000Z', targetWasInTrial: false }],
 *   '2026-03-01', '2026-03-08');
 * // { total: 1, byReason: { other: 1, … }, byWeek: [{ week: '2026-W09', … total: 0 }, { week: '2026-W10', total: 1, … }], … }
 */
export function countReassociations(records: readonly CountedReassociation[], from: IsoDate, to: IsoDate): ReassociationCounts {
  const range = { from, to };
  const trialConversion = { targetWasInTrial: 0, targetNotInTrial: 0 };
  for (const record of records) {
    if (record.reason !== 'trial_conversion' || !appliedWithin(record.appliedAt, range)) continue;
    if (record.targetWasInTrial) trialConversion.targetWasInTrial += 1;
    else trialConversion.targetNotInTrial += 1;
  }
  return { ...countByReasonAndWeek(REASSOCIATION_REASONS, records, range), trialConversion };
}
