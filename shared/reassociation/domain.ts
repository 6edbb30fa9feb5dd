/**
 * Force reassociation: a support engineer moves a subscription from the namespace it is on (the
 * source) to another namespace (the target), within the same term. Pure rules, no I/O, no clock.
 *
 * The term travels whole: plan, seats, dates, what reconciliations billed, the previous term and the
 * term's statistics are never reset — this is the namespace-transfer case, and resetting the peak
 * would drop overage the customer owes. The target's own measurements taken within the term (not on
 * its trial days) count toward the term's peak as well: the seats were in use on the namespace the
 * subscription is now on. What belongs to a namespace rather than to the term stays where it is:
 * its own newest measurement (`seatsInUse`, `lastMeasuredAt`) and, on the source, a trial running on
 * top of the term. A target in a trial is converted as a paid `created` converts it: the trial is
 * cleared and the paid plan applies.
 *
 * Also here: the report's counts (by reason and ISO week, shared/platform/report.ts) and how
 * trial conversions still occur.
 */
import { countsTowardPeak, emptyState, seatsOwed } from '../lifecycle/domain/rules.js';
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

/** One seat measurement of the target, as its log keeps it. */
export interface TargetMeasurement {
  seatsInUse: number;
  measuredAt: IsoInstant;
  /** The target's trial when it was measured (its log entry's state): its days count toward no peak. */
  trial: Pick<NamespaceState, 'trial' | 'trialStartsOn' | 'trialEndsOn'>;
}

export interface ReassociationInput {
  command: ReassociationCommand;
  /** The namespace the subscription's pointer names. */
  sourceNamespaceId: number;
  /** The source's stored state; null when none is stored (a broken association). */
  source: FoldState | null;
  /** The target's stored state; null when the namespace was never seen. */
  target: FoldState | null;
  /**
   * The target's measurements its log keeps within the source's term (any others are ignored).
   * The target's own newest measurement (`seatsInUse` at `lastMeasuredAt`) counts too, so a target
   * stored before the log, which has no entries, gives none here.
   */
  targetMeasurements: readonly TargetMeasurement[];
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
 *   sourceNamespaceId: 7, source: stateOf7, target: null, targetMeasurements: [], appliedAt: '2026-03-01T10:00:00.000Z',
 * });
 * if (decision.ok) decision.plan.after.target; // A-S1's term on namespace 8, maxSeatsUsed unchanged (8 measured nothing)
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
  const peak = termPeak(source, target, input.targetMeasurements);

  // The whole term moves, its peak counting the target's own measurements within it; the target
  // keeps its own newest measurement, and a trial there is converted.
  const targetAfter = finish(
    {
      ...target,
      subscriptionId,
      planCode: paidPlanCode,
      paidPlanCode,
      seats: source.seats,
      maxSeatsUsed: peak.maxSeatsUsed,
      maxSeatsUsedChangedAt: peak.maxSeatsUsedChangedAt,
      seatsBilled: source.seatsBilled,
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
      fold: { peakMeasured: peak.peakMeasured, termKey: null, previousTermKey: null },
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
      seatsBilled: cleared.seatsBilled,
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
  if (peak.maxSeatsUsed > source.maxSeatsUsed) {
    warnings.push({
      code: 'target_usage_above_peak',
      message:
        `Namespace ${targetNamespaceId} measured ${peak.maxSeatsUsed} seats in use on ${peak.maxSeatsUsedChangedAt}, within the term ` +
        `of ${subscriptionId} (from ${source.startDate}) and above its peak of ${source.maxSeatsUsed} on namespace ${source.namespaceId}: ` +
        `the term's peak becomes ${peak.maxSeatsUsed} (${targetAfter.seatsOwed} seats owed on ${source.seats}).`,
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

interface TermPeak {
  maxSeatsUsed: number;
  maxSeatsUsedChangedAt: IsoInstant | null;
  peakMeasured: boolean;
}

/**
 * The moved term's peak: the highest of the source's peak and the target's measurements that count
 * (the source's value only while it is a measurement of the term, not one carried in at its start)
 * toward the term — within it and not on the target's trial days, by the trial as it stood when each
 * was measured and by the trial the target has now (the same rule as a measurement folded into the
 * term, `countsTowardPeak`). Its date is the earliest instant that peak was reached.
 */
function termPeak(source: FoldState, target: FoldState, measurements: readonly TargetMeasurement[]): TermPeak {
  // The target's trial as it is now, over the moved term's dates.
  const term: FoldState = { ...target, startDate: source.startDate, endDate: source.endDate, expiredOn: source.expiredOn };
  const newest: TargetMeasurement[] =
    target.lastMeasuredAt === null ? [] : [{ seatsInUse: target.seatsInUse, measuredAt: target.lastMeasuredAt, trial: target }];
  const counted = [...measurements, ...newest].filter(
    (m) => countsTowardPeak(term, m.measuredAt) && countsTowardPeak({ ...term, ...pickTrial(m.trial) }, m.measuredAt),
  );
  // As in the fold: a value carried in at the term's start (no measurement of the term yet) gives
  // way to the term's first own measurements, here the target's.
  const sourceCounts = source.fold.peakMeasured || counted.length === 0;
  const maxSeatsUsed = counted.reduce((max, m) => Math.max(max, m.seatsInUse), sourceCounts ? source.maxSeatsUsed : 0);
  const reachedAt = [
    ...(sourceCounts && source.maxSeatsUsed === maxSeatsUsed && source.maxSeatsUsedChangedAt !== null ? [source.maxSeatsUsedChangedAt] : []),
    ...counted.filter((m) => m.seatsInUse === maxSeatsUsed).map((m) => m.measuredAt),
  ];
  const earliest = reachedAt.reduce<IsoInstant | null>((first, at) => (first === null || Date.parse(at) < Date.parse(first) ? at : first), null);
  return {
    maxSeatsUsed,
    maxSeatsUsedChangedAt: earliest ?? source.maxSeatsUsedChangedAt,
    peakMeasured: source.fold.peakMeasured || counted.length > 0,
  };
}

const pickTrial = ({ trial, trialStartsOn, trialEndsOn }: TargetMeasurement['trial']) => ({ trial, trialStartsOn, trialEndsOn });

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
