/**
 * The namespace subscription state and the explicit lifecycle commands. Pure types: no I/O.
 */

/** `YYYY-MM-DD` */
export type IsoDate = string;
/** ISO 8601 instant with offset, e.g. `2026-11-22T10:00:00Z` */
export type IsoInstant = string;

export type SubscriptionStatus = 'active' | 'expired' | 'none';

/**
 * A term that ended (a new term started after it), kept for reconciliation: what it was and what
 * it owes. Its statistics still move while late commands dated within it arrive.
 */
export interface TermSummary {
  subscriptionId: string;
  planCode: string;
  seats: number;
  startDate: IsoDate;
  endDate: IsoDate;
  /** The day an expiry ended it early; null when it ran to its end. */
  expiredOn: IsoDate | null;
  maxSeatsUsed: number;
  maxSeatsUsedChangedAt: IsoInstant | null;
  /** Seats billed for its overage by reconciliations (several add up). */
  seatsBilled: number;
  /** `max(0, maxSeatsUsed − seats − seatsBilled)` on a paid plan with seats; else 0. */
  seatsOwed: number;
  nextReconciliationDate: IsoDate | null;
}

/** One record per namespace: the platform's subscription row, as the API answers it. */
export interface NamespaceState {
  namespaceId: number;
  /** The subscription associated with the namespace (its current or last term), or null. */
  subscriptionId: string | null;
  /** Derived: the trial's plan while a trial runs, else the paid plan of an active term, else `free`. */
  planCode: string;
  /** Plan of the current (or last, when expired) paid term; null when there never was one. */
  paidPlanCode: string | null;
  /** Licensed seats of the current term. */
  seats: number;
  /** The newest measurement. */
  seatsInUse: number;
  /** The current term's peak: its highest counted measurement, or the seats in use when it started until it has one. */
  maxSeatsUsed: number;
  /** When the peak was first reached; `${startDate}T00:00:00.000Z` for the value carried in at the term's start. */
  maxSeatsUsedChangedAt: IsoInstant | null;
  /** Seats of the current term's overage billed by reconciliations (several add up). */
  seatsBilled: number;
  /** Derived: `max(0, maxSeatsUsed − seats − seatsBilled)` on a paid plan with seats, while the term is active and no trial runs; else 0. */
  seatsOwed: number;
  /** A trial runs (from `trialStartsOn` until its end arrives or a paid term starts during it). */
  trial: boolean;
  /** The last trial's first day (kept after it ends). */
  trialStartsOn: IsoDate | null;
  /** The last trial's last day: planned while it runs, the day it ended once ended. */
  trialEndsOn: IsoDate | null;
  /** The current term: `[startDate, endDate)`. */
  startDate: IsoDate | null;
  endDate: IsoDate | null;
  autoRenew: boolean;
  nextReconciliationDate: IsoDate | null;
  /** Derived: `none` before any term, `expired` once the current term expired, else `active`. */
  status: SubscriptionStatus;
  /** The day the current term expired on; null while it has not. */
  expiredOn: IsoDate | null;
  /** `measuredAt` of the newest measurement. */
  lastMeasuredAt: IsoInstant | null;
  /** The term before the current one, with its peak and owed seats. */
  previousTerm: TermSummary | null;
  /** Incremented by every write of the namespace (each command that arrives and is kept). */
  version: number;
  updatedAt: IsoInstant | null;
}

/**
 * What the fold needs besides what the API shows: stored with the state and every log snapshot,
 * never answered.
 */
export interface FoldMarks {
  /** The current term's peak comes from a measurement of its own (false: the value carried in at its start). */
  peakMeasured: boolean;
  /** The log key of the command that started the current term. */
  termKey: string | null;
  /** The log key of the command that started the previous term: the oldest place the log keeps. */
  previousTermKey: string | null;
}

/** The state the rules fold: what the API shows plus the fold's own marks. */
export interface FoldState extends NamespaceState {
  fold: FoldMarks;
}

interface CommandBase {
  /** Idempotency key, 1–128 chars. */
  eventId: string;
  occurredAt: IsoInstant;
}

export interface SubscriptionCreated extends CommandBase {
  type: 'created';
  subscriptionId: string;
  namespaceId: number;
  planCode: string;
  seats: number;
  startDate: IsoDate;
  endDate: IsoDate;
  autoRenew?: boolean;
  nextReconciliationDate?: IsoDate;
}

export interface SubscriptionRenewed extends CommandBase {
  type: 'renewed';
  subscriptionId: string;
  startDate: IsoDate;
  endDate: IsoDate;
  seats?: number;
  planCode?: string;
  autoRenew?: boolean;
  nextReconciliationDate?: IsoDate;
}

export interface EntitlementsUpdated extends CommandBase {
  type: 'entitlementsUpdated';
  subscriptionId: string;
  seats?: number;
  planCode?: string;
  autoRenew?: boolean;
  nextReconciliationDate?: IsoDate;
}

export interface SubscriptionExpired extends CommandBase {
  type: 'expired';
  subscriptionId: string;
  expiredOn: IsoDate;
}

export interface TrialStarted extends CommandBase {
  type: 'trialStarted';
  namespaceId: number;
  planCode: string;
  trialStartsOn: IsoDate;
  trialEndsOn: IsoDate;
}

export interface TrialEnded extends CommandBase {
  type: 'trialEnded';
  namespaceId: number;
  endedOn: IsoDate;
}

/** A longer (or shorter) trial: same start, another last day. */
export interface TrialExtended extends CommandBase {
  type: 'trialExtended';
  namespaceId: number;
  trialEndsOn: IsoDate;
}

/** The commerce side billed a term's overage (GitLab's quarterly reconciliation). */
export interface ReconciliationCompleted extends CommandBase {
  type: 'reconciliationCompleted';
  subscriptionId: string;
  /** The start of the term it billed: the current or the previous one. */
  termStartDate: IsoDate;
  seatsBilled: number;
}

export const CORRECTION_REASONS = ['wrong_measurement', 'migration', 'other'] as const;
export type CorrectionReason = (typeof CORRECTION_REASONS)[number];

/**
 * A support engineer sets a term's peak (GitLab's provisioning API lets the portal set
 * max_seats_used; here it is a recorded manual act). Its business time is when it is applied:
 * `occurredAt` is the service's clock when it arrived.
 */
export interface SeatStatisticsCorrected extends CommandBase {
  type: 'seatStatisticsCorrected';
  namespaceId: number;
  termStartDate: IsoDate;
  maxSeatsUsed: number;
  reason: CorrectionReason;
  /** Why, in the operator's words (10+ visible characters). */
  note: string;
}

export interface SeatUsageReported extends CommandBase {
  type: 'seatUsageReported';
  namespaceId: number;
  seatsInUse: number;
  measuredAt: IsoInstant;
}

export type LifecycleCommand =
  | SubscriptionCreated
  | SubscriptionRenewed
  | EntitlementsUpdated
  | SubscriptionExpired
  | TrialStarted
  | TrialExtended
  | TrialEnded
  | SeatUsageReported
  | ReconciliationCompleted
  | SeatStatisticsCorrected;

export type CommandType = LifecycleCommand['type'];

/**
 * Why the rules refuse a command at its place in the log. A refused command is kept in the log and
 * judged again when a late command lands before it; nothing of the state changes.
 */
export type RejectionCode =
  /** Superseded: an older renewal, a second expiry, a trial while one runs. Settled on the bus. */
  | 'stale_event'
  /** A second `created` for a subscription that is already active on the namespace. */
  | 'subscription_exists'
  /** The namespace holds another active subscription (never kept in the log: it concerns another subscription). */
  | 'namespace_has_subscription'
  /** The term has expired: its entitlements can no longer change. */
  | 'subscription_expired'
  /** At the command's place in the log the namespace does not hold its subscription. */
  | 'subscription_not_held'
  /** A reconciliation or a correction for a term that is neither the current nor the previous one. */
  | 'term_not_found';

export interface Rejection {
  code: RejectionCode;
  message: string;
}

export type ApplyResult = { ok: true; state: FoldState } | { ok: false; rejection: Rejection };

export interface ApplyContext {
  /** The command's key in the namespace's log (shared/lifecycle/domain/log.ts). */
  key: string;
}
