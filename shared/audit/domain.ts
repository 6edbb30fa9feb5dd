/**
 * The rules of the daily reconciliation audit, as pure functions: what should have happened by a
 * date and did not (renewals, reconciliations, expiries, trial ends), subscriptions and namespaces
 * that do not point at each other, and customers whose billing-account membership drifted.
 *
 * Cost follows what is due: a namespace state carries a due attribute per kind (`renewalDue`,
 * `reconciliationDue`, `expiryDue`, `trialEndDue`) only while something of that kind is pending,
 * keyed by the date it falls due, so the audit reads sparse indexes up to its date instead of every
 * subscription. `dueAttributes` (shared/lifecycle/domain/due.ts) decides them and `dueFindings`
 * decides what is overdue from the same dates, so the index and the findings can never disagree.
 * No I/O, no clock.
 */
import { billingAccountDrift } from '../billing-accounts/domain.js';
import type { Customer } from '../billing-accounts/domain.js';
import { DUE_KINDS, dueDates, pendingReconciliations } from '../lifecycle/domain/due.js';
import type { DueKind, DueView, PendingReconciliation } from '../lifecycle/domain/due.js';
import type { IsoDate, NamespaceState } from '../lifecycle/domain/types.js';

export const AUDIT_CODES = [
  'renewal_not_processed',
  'reconciliation_not_processed',
  'expiry_not_processed',
  'trial_not_ended',
  'broken_association',
  'billing_account_drift',
] as const;
export type AuditCode = (typeof AUDIT_CODES)[number];

export const isAuditCode = (code: string): code is AuditCode => (AUDIT_CODES as readonly string[]).includes(code);

/** What the audit reports, before it is published as an `Audit Finding` (which adds `asOf`). */
export interface Finding {
  code: AuditCode;
  /** With `code`, the error log's fingerprint: the same finding on the next run is the same record. */
  subject: string;
  message: string;
  /** Ids and dates only: enough to find the records again, nothing personal. */
  payload: Record<string, unknown>;
}

/** The finding each kind of obligation raises once it is overdue. */
export const DUE_CODE: Readonly<Record<DueKind, AuditCode>> = {
  renewal: 'renewal_not_processed',
  reconciliation: 'reconciliation_not_processed',
  expiry: 'expiry_not_processed',
  trialEnd: 'trial_not_ended',
};

type FindingView = DueView & Pick<NamespaceState, 'planCode' | 'seats'>;

/**
 * What is overdue on a state at `asOf`: one finding per kind whose due date is before `asOf`
 * (restricted to `kinds`), and one `reconciliation_not_processed` per overdue term (the current and
 * the previous one may both be). Decided from the same dates as `dueAttributes`: an item the index
 * returns for a date range before `asOf` yields its findings, and only such an item yields any.
 *
 * @example
 * dueFindings(state, '2026-12-02'); // [{ code: 'renewal_not_processed', subject: 'subscription:S-1', … }]
 * dueFindings(owing, '2026-06-02', ['reconciliation']); // [{ subject: 'subscription:S-1:term:2025-06-01', … }]
 */
export function dueFindings(state: FindingView, asOf: IsoDate, kinds: readonly DueKind[] = DUE_KINDS): Finding[] {
  const dates = dueDates(state);
  return kinds.flatMap((kind) => {
    const dueOn = dates[kind];
    if (dueOn === undefined || dueOn >= asOf) return [];
    if (kind !== 'reconciliation') return [overdue(kind, state, dueOn, asOf)];
    return pendingReconciliations(state)
      .filter((term) => term.dueOn < asOf)
      .map((term) => reconciliationOverdue(state, term, asOf));
  });
}

/**
 * The subject of a term's reconciliation finding: the subscription and the term's start, so the
 * same term is the same record on the next run and the current and previous terms are two.
 *
 * @example
 * termSubject('S-1', '2025-06-01'); // 'subscription:S-1:term:2025-06-01'
 */
export const termSubject = (subscriptionId: string, termStartDate: IsoDate): string => `subscription:${subscriptionId}:term:${termStartDate}`;

function reconciliationOverdue(state: FindingView, term: PendingReconciliation, asOf: IsoDate): Finding {
  const ns = state.namespaceId;
  const sub = term.subscriptionId;
  const period = term.endDate ? `${term.startDate} to ${term.endDate}` : `from ${term.startDate}`;
  const reschedule =
    term.term === 'current' ? ` If the reconciliation was rescheduled, send the entitlements update (POST /v1/subscriptions/${sub}/entitlements) with the new nextReconciliationDate.` : '';
  return {
    code: 'reconciliation_not_processed',
    subject: termSubject(sub, term.startDate),
    message:
      `The ${term.term} term of subscription ${sub} on namespace ${ns} (${period}) owes ${term.seatsOwed} seat(s): peak ${term.maxSeatsUsed} on ` +
      `${term.seats} licensed, ${term.seatsBilled} already billed. Its reconciliation date ${term.dueOn} had passed by ${asOf} without a ` +
      `reconciliation. Once the overage is billed, send it (POST /v1/subscriptions/${sub}/reconciliations with termStartDate ` +
      `${term.startDate} and the seatsBilled, ${term.seatsOwed} to settle it).${reschedule}`,
    payload: {
      namespaceId: ns,
      subscriptionId: sub,
      dueOn: term.dueOn,
      daysOverdue: daysBetween(term.dueOn, asOf),
      term: term.term,
      termStartDate: term.startDate,
      termEndDate: term.endDate,
      seats: term.seats,
      maxSeatsUsed: term.maxSeatsUsed,
      seatsBilled: term.seatsBilled,
      seatsOwed: term.seatsOwed,
      nextReconciliationDate: term.dueOn,
    },
  };
}

function overdue(kind: Exclude<DueKind, 'reconciliation'>, state: FindingView, dueOn: IsoDate, asOf: IsoDate): Finding {
  const ns = state.namespaceId;
  const sub = state.subscriptionId;
  const base = { namespaceId: ns, subscriptionId: sub, dueOn, daysOverdue: daysBetween(dueOn, asOf) };
  switch (kind) {
    case 'renewal':
      return {
        code: 'renewal_not_processed',
        subject: `subscription:${sub}`,
        message:
          `Subscription ${sub} on namespace ${ns} renews automatically; its term ended on ${dueOn} and no renewal had been ` +
          `applied by ${asOf}. Send the renewal (POST /v1/subscriptions/${sub}/renewals), or its expiry if it was cancelled.`,
        payload: { ...base, planCode: state.planCode, endDate: state.endDate, autoRenew: true },
      };
    case 'expiry':
      return {
        code: 'expiry_not_processed',
        subject: `subscription:${sub}`,
        message:
          `Subscription ${sub} on namespace ${ns} does not renew automatically; its term ended on ${dueOn}, yet it was still ` +
          `active on ${asOf}. Send its expiry (POST /v1/subscriptions/${sub}/expiry), or the renewal if it was renewed.`,
        payload: { ...base, planCode: state.planCode, endDate: state.endDate, autoRenew: false },
      };
    case 'trialEnd':
      return {
        code: 'trial_not_ended',
        subject: `namespace:${ns}`,
        message:
          `Namespace ${ns}'s ${state.planCode} trial ended on ${dueOn}, yet the namespace was still in the trial on ${asOf}. ` +
          `Send Trial Ended (POST /v1/namespaces/${ns}/trials/end).`,
        payload: { ...base, planCode: state.planCode, trialEndsOn: dueOn },
      };
  }
}

// ---------------------------------------------------------------------------------------------
// Associations: a subscription's pointer and the namespace states that hold it

export interface PointerView {
  subscriptionId: string;
  namespaceId: number;
}

export type HolderView = Pick<NamespaceState, 'namespaceId' | 'subscriptionId' | 'status'>;

/**
 * Whether subscription `subscriptionId` and the namespaces point at each other. `pointer` is its
 * pointer (null: none); `states` are the namespace states read, by id (null: read and not found),
 * and must include the namespace the pointer names. Broken when a namespace holds the
 * subscription but the pointer is missing or names another namespace, or when the pointer names a
 * namespace that does not hold it. Commands addressed by the subscription (renewal, entitlements,
 * expiry) fail or miss their namespace while it is broken.
 *
 * @example
 * associationFinding('S-1', { subscriptionId: 'S-1', namespaceId: 7 }, new Map([[7, { namespaceId: 7, subscriptionId: 'S-2', status: 'active' }]]));
 * // { code: 'broken_association', subject: 'subscription:S-1', … }
 */
export function associationFinding(
  subscriptionId: string,
  pointer: PointerView | null,
  states: ReadonlyMap<number, HolderView | null>,
): Finding | null {
  const holders = [...states.values()]
    .filter((s): s is HolderView => s !== null && s.subscriptionId === subscriptionId)
    .map((s) => s.namespaceId)
    .sort((a, b) => a - b);
  const subject = `subscription:${subscriptionId}`;
  const payload = { subscriptionId, pointerNamespaceId: pointer?.namespaceId ?? null, holderNamespaceIds: holders };
  const repair = 'Compare both records\' history and repair the association (a force reassociation with reason broken_association).';
  if (!pointer) {
    if (holders.length === 0) return null;
    return {
      code: 'broken_association',
      subject,
      message: `Namespace ${holders.join(', ')} holds subscription ${subscriptionId}, but the subscription points at no namespace: its renewals, entitlements and expiry cannot find it. ${repair}`,
      payload,
    };
  }
  const pointed = states.get(pointer.namespaceId);
  if (pointed === undefined) throw new Error(`associationFinding needs the state of namespace ${pointer.namespaceId}, which the pointer of ${subscriptionId} names`);
  if (pointed === null || pointed.subscriptionId !== subscriptionId) {
    const holds = pointed === null ? 'has no subscription state' : pointed.subscriptionId === null ? 'holds no subscription' : `holds subscription ${pointed.subscriptionId}`;
    return {
      code: 'broken_association',
      subject,
      message: `Subscription ${subscriptionId} points at namespace ${pointer.namespaceId}, which ${holds}${holders.length ? `; namespace ${holders.join(', ')} holds it` : ''}. ${repair}`,
      payload: { ...payload, pointedHolds: pointed?.subscriptionId ?? null },
    };
  }
  const others = holders.filter((id) => id !== pointer.namespaceId);
  if (others.length > 0) {
    return {
      code: 'broken_association',
      subject,
      message: `Subscription ${subscriptionId} points at namespace ${pointer.namespaceId}, and namespace ${others.join(', ')} holds it too. ${repair}`,
      payload,
    };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Billing accounts

/**
 * The `billing_account_drift` finding of a customer, or null when its billing account and its
 * membership agree. `membershipFound`: whether `BA#<membershipZuoraAccountId> / MEMBER#<customerId>` exists.
 */
export function driftFinding(customer: Customer, lookup: { membershipFound: boolean }): Finding | null {
  const drift = billingAccountDrift(customer, lookup);
  if (!drift) return null;
  return {
    code: 'billing_account_drift',
    subject: `customer:${customer.customerId}`,
    message: drift.message,
    payload: {
      customerId: customer.customerId,
      zuoraAccountId: customer.zuoraAccountId,
      membershipZuoraAccountId: customer.membershipZuoraAccountId,
      drift: drift.code,
    },
  };
}

/** Whether a customer's membership item must be read to judge drift (it is expected where the customer bills). */
export const needsMembershipLookup = (customer: Customer): boolean =>
  customer.membershipZuoraAccountId !== null && customer.membershipZuoraAccountId === customer.zuoraAccountId;

// ---------------------------------------------------------------------------------------------
// Subjects, re-checks and resolution

export type Subject =
  | { kind: 'subscription'; subscriptionId: string }
  | { kind: 'term'; subscriptionId: string; termStartDate: IsoDate }
  | { kind: 'namespace'; namespaceId: number }
  | { kind: 'customer'; customerId: string };

const TERM_SUFFIX = /^(.+):term:(\d{4}-\d{2}-\d{2})$/;

/**
 * The records a finding's subject names (`subscription:<id>`, `subscription:<id>:term:<startDate>`,
 * `namespace:<id>`, `customer:<id>`); null when unknown. A subscription id may itself hold `:`, so
 * only a trailing `:term:<date>` makes a term.
 *
 * @example
 * parseSubject('subscription:S-1:term:2025-06-01'); // { kind: 'term', subscriptionId: 'S-1', termStartDate: '2025-06-01' }
 */
export function parseSubject(subject: string): Subject | null {
  const at = subject.indexOf(':');
  if (at <= 0) return null;
  const kind = subject.slice(0, at);
  const id = subject.slice(at + 1);
  if (!id) return null;
  if (kind === 'subscription') {
    const term = TERM_SUFFIX.exec(id);
    return term ? { kind: 'term', subscriptionId: term[1]!, termStartDate: term[2]! } : { kind, subscriptionId: id };
  }
  if (kind === 'customer') return { kind, customerId: id };
  if (kind === 'namespace' && /^[1-9][0-9]{0,15}$/.test(id)) return { kind, namespaceId: Number(id) };
  return null;
}

/**
 * Whether `finding`, found again now, is the one an unresolved record reported: the same code and
 * subject. A `reconciliation_not_processed` record stored before findings named the term (subject
 * `subscription:<id>`) still holds while any term of that subscription is overdue.
 *
 * @example
 * findingHolds({ code: 'reconciliation_not_processed', subject: 'subscription:S-1' }, termFinding); // true when termFinding is of S-1
 */
export function findingHolds(record: { code: string; subject: string }, finding: Finding): boolean {
  if (finding.code !== record.code) return false;
  if (finding.subject === record.subject) return true;
  const legacy = record.code === 'reconciliation_not_processed' ? parseSubject(record.subject) : null;
  return legacy?.kind === 'subscription' && finding.payload.subscriptionId === legacy.subscriptionId;
}

/** The note a resolved finding gets: when and why the audit found it no longer holds. */
export function resolutionNote(code: AuditCode, subject: string, asOf: IsoDate): string {
  const why: Record<AuditCode, string> = {
    renewal_not_processed: `no auto-renewing term of it ended before ${asOf} without a renewal any more (renewed, expired or changed)`,
    expiry_not_processed: `no term of it that ended before ${asOf} is still active any more (expired, renewed or changed)`,
    reconciliation_not_processed: `nothing is owed past a reconciliation date before ${asOf} any more (reconciled, rescheduled or the seats changed)`,
    trial_not_ended: `no trial that ended before ${asOf} is still running any more (ended or converted)`,
    broken_association: 'the subscription and its namespace point at each other again',
    billing_account_drift: "the customer's billing account and its membership agree again",
  };
  return `Resolved by the reconciliation audit of ${asOf}: ${subject}: ${why[code]}.`;
}

/**
 * Whether a re-check may resolve a record last reported for `reportedAsOf`: a run for an earlier
 * date than the last report must not resolve what a later date found (it would be reopened tomorrow).
 * Associations and drift do not depend on the date.
 */
export function mayResolve(code: AuditCode, reportedAsOf: IsoDate | null, asOf: IsoDate): boolean {
  if (code === 'broken_association' || code === 'billing_account_drift') return true;
  return reportedAsOf === null || reportedAsOf <= asOf;
}

// ---------------------------------------------------------------------------------------------
// Changed since the last run

/** Days the audit looks at for changes: from the last completed run's watermark (or `lookbackDays` back) through `today`. */
export function changedWindow(watermark: IsoDate | null, today: IsoDate, lookbackDays: number): { from: IsoDate; through: IsoDate } {
  const from = watermark ?? addDays(today, -lookbackDays);
  return { from: from > today ? today : from, through: today };
}

/** Every date from `from` through `through`, both included. */
export function datesFrom(from: IsoDate, through: IsoDate): IsoDate[] {
  const dates: IsoDate[] = [];
  for (let d = from; d <= through; d = addDays(d, 1)) dates.push(d);
  return dates;
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

export function daysBetween(from: IsoDate, to: IsoDate): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Hours from `completedAt` to `now`, one decimal: how far behind the audit is. */
export function lagHours(completedAt: string, now: Date): number {
  return Math.round(((now.getTime() - Date.parse(completedAt)) / 3_600_000) * 10) / 10;
}
