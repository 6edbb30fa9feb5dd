/**
 * The namespace subscription state and the explicit lifecycle commands. Pure types: no I/O.
 */

/** `YYYY-MM-DD` */
export type IsoDate = string;
/** ISO 8601 instant with offset, e.g. `2026-11-22T10:00:00Z` */
export type IsoInstant = string;

export type SubscriptionStatus = 'active' | 'expired' | 'none';

/** One record per namespace: the platform's subscription row. */
export interface NamespaceState {
  namespaceId: number;
  /** The subscription currently associated with the namespace, or null. */
  subscriptionId: string | null;
  /** Effective plan: `free`, `premium`, `ultimate`, or a trial plan such as `ultimate_trial`. */
  planCode: string;
  /** Plan of the paid term, kept while a trial runs on top of it; null when no paid term. */
  paidPlanCode: string | null;
  /** Licensed seats of the paid term. */
  seats: number;
  seatsInUse: number;
  maxSeatsUsed: number;
  maxSeatsUsedChangedAt: IsoInstant | null;
  /** Derived: max(0, maxSeatsUsed − seats) on a paid, non-trial plan; else 0. */
  seatsOwed: number;
  trial: boolean;
  trialStartsOn: IsoDate | null;
  trialEndsOn: IsoDate | null;
  startDate: IsoDate | null;
  endDate: IsoDate | null;
  autoRenew: boolean;
  nextReconciliationDate: IsoDate | null;
  status: SubscriptionStatus;
  /** `measuredAt` of the last applied seat usage report: an older one is stale. */
  lastMeasuredAt: IsoInstant | null;
  /** Incremented by every applied change; writes are conditional on it. 0 = never stored. */
  version: number;
  updatedAt: IsoInstant | null;
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
  nextReconciliationDate?: IsoDate;
}

export interface EntitlementsUpdated extends CommandBase {
  type: 'entitlementsUpdated';
  subscriptionId: string;
  seats?: number;
  planCode?: string;
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
  | TrialEnded
  | SeatUsageReported;

export type CommandType = LifecycleCommand['type'];

/**
 * Why a command was refused; nothing is written. Each is a conflict with the current state, except
 * `invalid_dates`: the command contradicts itself (invalid input). See lifecycle/errors.ts.
 */
export type RejectionCode =
  | 'stale_event'
  | 'subscription_exists'
  | 'namespace_has_subscription'
  | 'subscription_expired'
  | 'not_in_trial'
  | 'invalid_dates';

export interface Rejection {
  code: RejectionCode;
  message: string;
  /** The command's fields the rejection is about (for `invalid_dates`: the dates that disagree). */
  fields?: readonly string[];
}

export type ApplyResult = { ok: true; state: NamespaceState } | { ok: false; rejection: Rejection };

export interface ApplyContext {
  /** When the change is applied (the service's clock): becomes `updatedAt`. */
  appliedAt: IsoInstant;
}
