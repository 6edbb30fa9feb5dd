/**
 * The rules of the daily reconciliation audit, as pure functions: what should have happened by a
 * date and did not (renewals, reconciliations, expiries, trial ends), subscriptions and namespaces
 * that do not point at each other, and customers whose billing-account membership drifted.
 *
 * Cost follows what is due: a namespace state carries a due attribute per kind (`renewalDue`,
 * `reconciliationDue`, `expiryDue`, `trialEndDue`) only while something of that kind is pending,
 * keyed by the date it falls due, so the audit reads sparse indexes up to its date instead of every
 * subscription. `dueAttributes` decides them and `dueFindings` decides what is overdue from the
 * same dates, so the index and the findings can never disagree. No I/O, no clock.
 */
import { billingAccountDrift } from '../billing-accounts/domain.js';
import type { Customer } from '../billing-accounts/domain.js';
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

// ---------------------------------------------------------------------------------------------
// What is due, and when

export const DUE_KINDS = ['renewal', 'reconciliation', 'expiry', 'trialEnd'] as const;
export type DueKind = (typeof DUE_KINDS)[number];

/** Per kind: the item attribute (the index's sort key), the index, and the finding once overdue. */
export const DUE: Readonly<Record<DueKind, { attribute: `${DueKind}Due`; index: string; code: AuditCode }>> = {
  renewal: { attribute: 'renewalDue', index: 'byRenewalDue', code: 'renewal_not_processed' },
  reconciliation: { attribute: 'reconciliationDue', index: 'byReconciliationDue', code: 'reconciliation_not_processed' },
  expiry: { attribute: 'expiryDue', index: 'byExpiryDue', code: 'expiry_not_processed' },
  trialEnd: { attribute: 'trialEndDue', index: 'byTrialEndDue', code: 'trial_not_ended' },
};

/** The due indexes' partition key: a few shards, so no single index partition takes every write. */
export const DUE_SHARD_ATTRIBUTE = 'dueShard';
export const DUE_SHARDS = 4;
export const dueShardOf = (namespaceId: number): number => namespaceId % DUE_SHARDS;

/** Every attribute `dueAttributes` may set: a writer that updates in place must REMOVE the absent ones. */
export const DUE_ATTRIBUTE_NAMES: readonly string[] = [DUE_SHARD_ATTRIBUTE, ...DUE_KINDS.map((kind) => DUE[kind].attribute)];

export type DueAttributes = Partial<Record<`${DueKind}Due`, IsoDate>> & { dueShard?: number };

type DueView = Pick<
  NamespaceState,
  'namespaceId' | 'subscriptionId' | 'status' | 'autoRenew' | 'endDate' | 'seatsOwed' | 'nextReconciliationDate' | 'trial' | 'trialEndsOn'
>;

/**
 * The date each kind of obligation falls due on, for the kinds pending on this state. The finding
 * follows the day after: a date "has passed" when it is before the audit's date.
 * - renewal: an active, auto-renewing term ends on `endDate` (the renewal should come by then);
 * - expiry: an active term that does not renew ends on `endDate` (the expiry should come by then);
 * - reconciliation: seats are owed on an active term, settled on `nextReconciliationDate`;
 * - trialEnd: a trial runs until `trialEndsOn`.
 */
export function dueDates(state: DueView): Partial<Record<DueKind, IsoDate>> {
  const due: Partial<Record<DueKind, IsoDate>> = {};
  const activeTerm = state.status === 'active' && state.subscriptionId !== null;
  if (activeTerm && state.endDate) due[state.autoRenew ? 'renewal' : 'expiry'] = state.endDate;
  if (activeTerm && state.seatsOwed > 0 && state.nextReconciliationDate) due.reconciliation = state.nextReconciliationDate;
  if (state.trial && state.trialEndsOn) due.trialEnd = state.trialEndsOn;
  return due;
}

/**
 * The index attributes a state item carries: one per kind pending (its due date) and the shard,
 * none when nothing is pending. The store writes exactly these on every state write, so an item
 * enters an index when something falls due on it and leaves it when that is done (renewed,
 * expired, reconciled, trial ended).
 *
 * @example
 * dueAttributes({ ...state, status: 'active', subscriptionId: 'S-1', autoRenew: true, endDate: '2026-12-01' });
 * // { dueShard: 2, renewalDue: '2026-12-01' }
 * dueAttributes(emptyState(42)); // {}
 */
export function dueAttributes(state: DueView): DueAttributes {
  const dates = dueDates(state);
  const kinds = DUE_KINDS.filter((kind) => dates[kind] !== undefined);
  if (kinds.length === 0) return {};
  const attributes: DueAttributes = { dueShard: dueShardOf(state.namespaceId) };
  for (const kind of kinds) attributes[DUE[kind].attribute] = dates[kind]!;
  return attributes;
}

type FindingView = DueView & Pick<NamespaceState, 'planCode' | 'seats'>;

/**
 * What is overdue on a state at `asOf`: one finding per kind whose due date is before `asOf`
 * (restricted to `kinds`). Decided from the same dates as `dueAttributes`: an item the index
 * returns for a date range before `asOf` yields exactly its finding.
 *
 * @example
 * dueFindings(state, '2026-12-02'); // [{ code: 'renewal_not_processed', subject: 'subscription:S-1', … }]
 */
export function dueFindings(state: FindingView, asOf: IsoDate, kinds: readonly DueKind[] = DUE_KINDS): Finding[] {
  const dates = dueDates(state);
  return kinds.flatMap((kind) => {
    const dueOn = dates[kind];
    return dueOn !== undefined && dueOn < asOf ? [overdue(kind, state, dueOn, asOf)] : [];
  });
}

function overdue(kind: DueKind, state: FindingView, dueOn: IsoDate, asOf: IsoDate): Finding {
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
    case 'reconciliation':
      return {
        code: 'reconciliation_not_processed',
        subject: `subscription:${sub}`,
        message:
          `Namespace ${ns} (subscription ${sub}) owes ${state.seatsOwed} seat(s) beyond its ${state.seats} licensed, and its ` +
          `reconciliation date ${dueOn} had passed by ${asOf} without a reconciliation. Reconcile it and send the entitlements ` +
          `update (POST /v1/subscriptions/${sub}/entitlements) with the new seats or the next reconciliation date.`,
        payload: { ...base, seats: state.seats, seatsOwed: state.seatsOwed, nextReconciliationDate: dueOn },
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
  | { kind: 'namespace'; namespaceId: number }
  | { kind: 'customer'; customerId: string };

/** The records a finding's subject names (`subscription:<id>`, `namespace:<id>`, `customer:<id>`); null when unknown. */
export function parseSubject(subject: string): Subject | null {
  const at = subject.indexOf(':');
  if (at <= 0) return null;
  const kind = subject.slice(0, at);
  const id = subject.slice(at + 1);
  if (!id) return null;
  if (kind === 'subscription') return { kind, subscriptionId: id };
  if (kind === 'customer') return { kind, customerId: id };
  if (kind === 'namespace' && /^[1-9][0-9]{0,15}$/.test(id)) return { kind, namespaceId: Number(id) };
  return null;
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

/**
 * The `changedOn` a state item carries: the date of the last write that changed its association
 * (which subscription it holds). A write that keeps the association keeps `previous`, so the daily
 * seat-usage report of every namespace does not put every namespace in the audit's changed set,
 * nor every state write in one index partition a day. Unknown `previous` counts as changed today:
 * at worst one more item is checked, never one less.
 *
 * @example
 * stateChangedOn(before, after, '2026-03-01'); // '2026-03-01' when before.subscriptionId === after.subscriptionId
 */
export function stateChangedOn(
  before: Pick<NamespaceState, 'subscriptionId'> | null,
  after: Pick<NamespaceState, 'subscriptionId' | 'updatedAt'>,
  previous: IsoDate | undefined,
  appliedOn: IsoDate = (after.updatedAt ?? '').slice(0, 10),
): IsoDate {
  const associationChanged = before === null || before.subscriptionId !== after.subscriptionId;
  return !associationChanged && previous ? previous : appliedOn;
}

/** The attributes a state write sets besides the state: its due attributes and `changedOn`. */
export function stateIndexAttributes(
  before: Pick<NamespaceState, 'subscriptionId'> | null,
  after: FindingView & Pick<NamespaceState, 'updatedAt'>,
  previousChangedOn: IsoDate | undefined,
): DueAttributes & { changedOn: IsoDate } {
  return { ...dueAttributes(after), changedOn: stateChangedOn(before, after, previousChangedOn) };
}

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
