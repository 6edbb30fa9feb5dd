/**
 * What a namespace state owes by a date, as the attributes its item carries: a due date per kind of
 * obligation pending on it (renewal, expiry, reconciliation, trial end) and the day its association
 * last changed. The reconciliation audit reads sparse indexes on these attributes
 * (shared/audit/), so the audit's cost follows what is due, not the number of subscriptions; every
 * state write stores them (lifecycle and reassociation stores). Pure: no I/O, no clock.
 */
import type { IsoDate, NamespaceState, TermSummary } from './types.js';

// ---------------------------------------------------------------------------------------------
// What is due, and when

export const DUE_KINDS = ['renewal', 'reconciliation', 'expiry', 'trialEnd'] as const;
export type DueKind = (typeof DUE_KINDS)[number];

/** Per kind: the item attribute (the index's sort key) and the index (shared/platform/tables.ts). */
export const DUE: Readonly<Record<DueKind, { attribute: `${DueKind}Due`; index: string }>> = {
  renewal: { attribute: 'renewalDue', index: 'byRenewalDue' },
  reconciliation: { attribute: 'reconciliationDue', index: 'byReconciliationDue' },
  expiry: { attribute: 'expiryDue', index: 'byExpiryDue' },
  trialEnd: { attribute: 'trialEndDue', index: 'byTrialEndDue' },
};

/** The due indexes' partition key: a few shards, so no single index partition takes every write. */
export const DUE_SHARD_ATTRIBUTE = 'dueShard';
export const DUE_SHARDS = 4;
export const dueShardOf = (namespaceId: number): number => namespaceId % DUE_SHARDS;

/** Every attribute `dueAttributes` may set: a writer that updates in place must REMOVE the absent ones. */
export const DUE_ATTRIBUTE_NAMES: readonly string[] = [DUE_SHARD_ATTRIBUTE, ...DUE_KINDS.map((kind) => DUE[kind].attribute)];

export type DueAttributes = Partial<Record<`${DueKind}Due`, IsoDate>> & { dueShard?: number };

export type DueView = Pick<
  NamespaceState,
  | 'namespaceId'
  | 'subscriptionId'
  | 'status'
  | 'autoRenew'
  | 'startDate'
  | 'endDate'
  | 'seats'
  | 'maxSeatsUsed'
  | 'seatsBilled'
  | 'seatsOwed'
  | 'nextReconciliationDate'
  | 'trial'
  | 'trialEndsOn'
  | 'previousTerm'
>;

/** A term whose owed seats wait for a reconciliation on `dueOn`: the current or the previous one. */
export interface PendingReconciliation {
  term: 'current' | 'previous';
  subscriptionId: string;
  startDate: IsoDate;
  endDate: IsoDate | null;
  seats: number;
  maxSeatsUsed: number;
  seatsBilled: number;
  seatsOwed: number;
  /** The term's `nextReconciliationDate`. */
  dueOn: IsoDate;
}

/**
 * The terms of a state that owe seats and have a reconciliation date: the current term while it is
 * active (its `seatsOwed` is 0 otherwise) and the previous term, which keeps owing after a new term
 * starts until a reconciliation bills it. Previous term first (the older obligation).
 *
 * @example
 * pendingReconciliations({ ...state, previousTerm: { ...term, seatsOwed: 5, nextReconciliationDate: '2026-03-01' } });
 * // [{ term: 'previous', subscriptionId: 'S-1', startDate: '2025-01-01', seatsOwed: 5, dueOn: '2026-03-01', … }]
 */
export function pendingReconciliations(state: DueView): PendingReconciliation[] {
  const pending: PendingReconciliation[] = [];
  const previous: TermSummary | null | undefined = state.previousTerm;
  if (previous && previous.seatsOwed > 0 && previous.nextReconciliationDate) {
    pending.push({
      term: 'previous',
      subscriptionId: previous.subscriptionId,
      startDate: previous.startDate,
      endDate: previous.endDate,
      seats: previous.seats,
      maxSeatsUsed: previous.maxSeatsUsed,
      seatsBilled: previous.seatsBilled ?? 0,
      seatsOwed: previous.seatsOwed,
      dueOn: previous.nextReconciliationDate,
    });
  }
  const active = state.status === 'active' && state.subscriptionId !== null && state.startDate !== null;
  if (active && state.seatsOwed > 0 && state.nextReconciliationDate) {
    pending.push({
      term: 'current',
      subscriptionId: state.subscriptionId!,
      startDate: state.startDate!,
      endDate: state.endDate,
      seats: state.seats,
      maxSeatsUsed: state.maxSeatsUsed,
      seatsBilled: state.seatsBilled ?? 0,
      seatsOwed: state.seatsOwed,
      dueOn: state.nextReconciliationDate,
    });
  }
  return pending;
}

/**
 * The date each kind of obligation falls due on, for the kinds pending on this state. The finding
 * follows the day after: a date "has passed" when it is before the audit's date.
 * - renewal: an active, auto-renewing term ends on `endDate` (the renewal should come by then);
 * - expiry: an active term that does not renew ends on `endDate` (the expiry should come by then);
 * - reconciliation: the earliest `nextReconciliationDate` of a term that owes seats (the current
 *   one while active, the previous one): an item has one attribute per kind, so the index finds it
 *   as soon as either term is due, and the findings come from `pendingReconciliations`;
 * - trialEnd: a trial runs until `trialEndsOn`.
 */
export function dueDates(state: DueView): Partial<Record<DueKind, IsoDate>> {
  const due: Partial<Record<DueKind, IsoDate>> = {};
  const activeTerm = state.status === 'active' && state.subscriptionId !== null;
  if (activeTerm && state.endDate) due[state.autoRenew ? 'renewal' : 'expiry'] = state.endDate;
  const reconciliation = pendingReconciliations(state)
    .map((p) => p.dueOn)
    .sort()[0];
  if (reconciliation) due.reconciliation = reconciliation;
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
  after: DueView & Pick<NamespaceState, 'updatedAt'>,
  previousChangedOn: IsoDate | undefined,
): DueAttributes & { changedOn: IsoDate } {
  return { ...dueAttributes(after), changedOn: stateChangedOn(before, after, previousChangedOn) };
}
