/**
 * The pure rules of the explicit lifecycle commands, for commands taken in business order. The
 * service keeps a log of every command a namespace received, ordered by business time
 * (./log.ts), and the state is the fold of that log: a command that arrives late is put where it
 * belongs and the commands after it are folded again. So these rules only have to be right for
 * commands in order; the order of arrival cannot change a bill.
 *
 * Each rule applies exactly the change its command names, or refuses it with a typed rejection
 * (the command stays in the log and is judged again when a late command lands before it). Derived
 * fields (`planCode`, `status`, `seatsOwed`) are computed, never overwritten. No I/O, no clock.
 */
import type {
  ApplyContext,
  ApplyResult,
  EntitlementsUpdated,
  FoldState,
  IsoDate,
  IsoInstant,
  LifecycleCommand,
  NamespaceState,
  RejectionCode,
  ReconciliationCompleted,
  SeatStatisticsCorrected,
  SeatUsageReported,
  SubscriptionCreated,
  SubscriptionExpired,
  SubscriptionRenewed,
  TermSummary,
  TrialEnded,
  TrialExtended,
  TrialStarted,
} from './types.js';

export const FREE_PLAN = 'free';
const FREE_PLANS: ReadonlySet<string> = new Set([FREE_PLAN, 'default']);
const TRIAL_PLAN_SUFFIX = '_trial';

/** Whether a plan's overage is billed: paid plans only (never free or trial plans). */
export const isBillablePlan = (planCode: string | null): boolean =>
  planCode !== null && !FREE_PLANS.has(planCode) && !planCode.endsWith(TRIAL_PLAN_SUFFIX) && !planCode.includes('_trial_');

/**
 * The state of a namespace never seen before: no subscription, the free plan, no statistics.
 *
 * @example
 * emptyState(42); // { namespaceId: 42, status: 'none', planCode: 'free', version: 0, … }
 */
export function emptyState(namespaceId: number): FoldState {
  return {
    namespaceId,
    subscriptionId: null,
    planCode: FREE_PLAN,
    paidPlanCode: null,
    seats: 0,
    seatsInUse: 0,
    maxSeatsUsed: 0,
    maxSeatsUsedChangedAt: null,
    seatsBilled: 0,
    seatsOwed: 0,
    trial: false,
    trialStartsOn: null,
    trialEndsOn: null,
    startDate: null,
    endDate: null,
    autoRenew: false,
    nextReconciliationDate: null,
    status: 'none',
    expiredOn: null,
    lastMeasuredAt: null,
    previousTerm: null,
    version: 0,
    updatedAt: null,
    fold: { peakMeasured: false, termKey: null, previousTermKey: null },
  };
}

/** The fields the API answers, in the order it answers them. */
export const STATE_FIELDS: ReadonlyArray<keyof NamespaceState> = [
  'namespaceId', 'subscriptionId', 'planCode', 'paidPlanCode', 'seats', 'seatsInUse', 'maxSeatsUsed',
  'maxSeatsUsedChangedAt', 'seatsBilled', 'seatsOwed', 'trial', 'trialStartsOn', 'trialEndsOn', 'startDate', 'endDate',
  'autoRenew', 'nextReconciliationDate', 'status', 'expiredOn', 'lastMeasuredAt', 'previousTerm', 'version', 'updatedAt',
];

/**
 * The state as the API answers it: exactly its fields, in a stable order (never the fold's marks).
 *
 * @example
 * publicState(head); // { namespaceId: 42, subscriptionId: 'A-S1', planCode: 'premium', … } — no `fold`
 */
export function publicState(state: NamespaceState): NamespaceState {
  const shown = {} as Record<string, unknown>;
  for (const field of STATE_FIELDS) shown[field] = (state as unknown as Record<string, unknown>)[field] ?? null;
  return shown as unknown as NamespaceState;
}

/**
 * Seats a term owes beyond its licence: its peak above its seats and what reconciliations already
 * billed, on a paid plan with seats.
 *
 * @example
 * termSeatsOwed({ paidPlanCode: 'premium', seats: 10, maxSeatsUsed: 14, seatsBilled: 0 }); // 4
 * termSeatsOwed({ paidPlanCode: 'premium', seats: 10, maxSeatsUsed: 14, seatsBilled: 3 }); // 1: 3 were billed
 * termSeatsOwed({ paidPlanCode: 'premium', seats: 0, maxSeatsUsed: 14, seatsBilled: 0 });  // 0: a term without seats owes nothing
 */
export function termSeatsOwed(term: Pick<NamespaceState, 'paidPlanCode' | 'seats' | 'maxSeatsUsed'> & { seatsBilled?: number }): number {
  return isBillablePlan(term.paidPlanCode) && term.seats > 0 ? Math.max(0, term.maxSeatsUsed - term.seats - (term.seatsBilled ?? 0)) : 0;
}

/**
 * What the current state owes: the term's owed seats while the term is active and no trial runs;
 * nothing otherwise (an expired term, a trial: GitLab bills neither).
 *
 * @example
 * seatsOwed({ ...state, status: 'active', trial: false, paidPlanCode: 'premium', seats: 10, maxSeatsUsed: 14 }); // 4
 */
export function seatsOwed(state: Pick<NamespaceState, 'status' | 'trial' | 'paidPlanCode' | 'seats' | 'maxSeatsUsed'> & { seatsBilled?: number }): number {
  return state.status === 'active' && !state.trial ? termSeatsOwed(state) : 0;
}

/** Recomputes the derived fields: status, plan in force, seats owed. */
function derive(state: FoldState): FoldState {
  const status = state.startDate === null ? 'none' : state.expiredOn !== null ? 'expired' : 'active';
  const planCode = state.trial ? state.planCode : status === 'active' && state.paidPlanCode !== null ? state.paidPlanCode : FREE_PLAN;
  const next = { ...state, status, planCode } as FoldState;
  next.seatsOwed = seatsOwed(next);
  return next;
}

/**
 * Applies one lifecycle command to the state in business order. Pure: the input is never mutated,
 * and the same input always gives the same output; `version` and `updatedAt` are the writer's.
 *
 * @example
 * const result = applyCommand(state, { type: 'seatUsageReported', eventId: 'u-1', occurredAt, namespaceId: 7,
 *   seatsInUse: 12, measuredAt: '2026-03-01T00:00:00Z' }, { key: logKey(command) });
 * if (result.ok) result.state.maxSeatsUsed; // ≥ 12 when the day falls in the term and not on a trial day
 */
export function applyCommand(state: FoldState, command: LifecycleCommand, ctx: ApplyContext): ApplyResult {
  switch (command.type) {
    case 'created':
      return applyCreated(state, command, ctx);
    case 'renewed':
      return applyRenewed(state, command, ctx);
    case 'entitlementsUpdated':
      return applyEntitlementsUpdated(state, command);
    case 'expired':
      return applyExpired(state, command);
    case 'trialStarted':
      return applyTrialStarted(state, command);
    case 'trialExtended':
      return applyTrialExtended(state, command);
    case 'trialEnded':
      return applyTrialEnded(state, command);
    case 'seatUsageReported':
      return applySeatUsageReported(state, command);
    case 'reconciliationCompleted':
      return applyReconciliationCompleted(state, command);
    case 'seatStatisticsCorrected':
      return applySeatStatisticsCorrected(state, command);
    default:
      return assertNever(command);
  }
}

// A new paid term starts on the namespace (its place in the log is its start). The peak starts
// again from the seats in use when it starts: an old term's overage must never be billed again.
// A trial running then is converted without a manual step.
export function applyCreated(state: FoldState, command: SubscriptionCreated, ctx: ApplyContext): ApplyResult {
  if (state.status === 'active' && state.subscriptionId === command.subscriptionId) {
    return reject(
      'subscription_exists',
      `Subscription ${command.subscriptionId} is already active on namespace ${state.namespaceId}. ` +
        'Send a renewal for a new term or an entitlements update for a mid-term change instead.',
    );
  }
  if (state.status === 'active' && state.subscriptionId !== null) {
    return reject(
      'namespace_has_subscription',
      `Namespace ${state.namespaceId} already holds active subscription ${state.subscriptionId}; ` +
        `it cannot also take ${command.subscriptionId}. Expire ${state.subscriptionId} first, or ask ` +
        'support to reassociate the subscription to another namespace.',
    );
  }
  return ok(
    startTerm(state, ctx.key, {
      subscriptionId: command.subscriptionId,
      paidPlanCode: command.planCode,
      seats: command.seats,
      startDate: command.startDate,
      endDate: command.endDate,
      autoRenew: command.autoRenew ?? false,
      nextReconciliationDate: command.nextReconciliationDate ?? null,
    }),
  );
}

// A new term of the same subscription (also after it expired): what the renewal omits carries
// over, and the peak starts again. Its place in the log is its start, so until then every command
// still belongs to the current term.
export function applyRenewed(state: FoldState, command: SubscriptionRenewed, ctx: ApplyContext): ApplyResult {
  if (state.subscriptionId !== command.subscriptionId) return notHeld(state, command.subscriptionId, 'renewal');
  if (state.startDate !== null && !isDateAfter(command.startDate, state.startDate)) {
    return reject(
      'stale_event',
      `Renewal of ${command.subscriptionId} starting ${command.startDate} does not start after the current term ` +
        `(started ${state.startDate}): it is an old or repeated renewal and was not applied. ` +
        'Check that the newest renewal has been sent.',
    );
  }
  const paidPlanCode = command.planCode ?? state.paidPlanCode;
  if (paidPlanCode === null) {
    return reject(
      'subscription_expired',
      `Subscription ${command.subscriptionId} has expired and its plan is no longer on record, so the renewal ` +
        'cannot tell which plan to reactivate. Resend the renewal with planCode.',
    );
  }
  return ok(
    startTerm(state, ctx.key, {
      subscriptionId: command.subscriptionId,
      paidPlanCode,
      seats: command.seats ?? state.seats,
      startDate: command.startDate,
      endDate: command.endDate,
      autoRenew: command.autoRenew ?? state.autoRenew,
      nextReconciliationDate: command.nextReconciliationDate ?? state.nextReconciliationDate,
    }),
  );
}

// A mid-term change (seats added, plan changed, reconciliation rescheduled) keeps the term's peak:
// seats used earlier in the term and not covered by the new licence are still owed.
export function applyEntitlementsUpdated(state: FoldState, command: EntitlementsUpdated): ApplyResult {
  if (state.subscriptionId !== command.subscriptionId) return notHeld(state, command.subscriptionId, 'entitlements update');
  if (state.expiredOn !== null) {
    return reject(
      'subscription_expired',
      `Subscription ${command.subscriptionId} expired on ${state.expiredOn}; its entitlements can no longer change. ` +
        'Send a renewal to start a new term, or a new subscription.',
    );
  }
  return ok(
    derive({
      ...state,
      seats: command.seats ?? state.seats,
      paidPlanCode: command.planCode ?? state.paidPlanCode,
      autoRenew: command.autoRenew ?? state.autoRenew,
      nextReconciliationDate: command.nextReconciliationDate ?? state.nextReconciliationDate,
    }),
  );
}

// The term ended without renewal on `expiredOn` (its place in the log): the namespace drops to free
// and the current state owes nothing, while the subscription stays associated and the term's
// statistics stay, so the history explains past bills. An expiry that does not fall after the
// current term's start concerns an earlier term: it never cuts off a term the customer renewed.
export function applyExpired(state: FoldState, command: SubscriptionExpired): ApplyResult {
  if (state.subscriptionId !== command.subscriptionId) return notHeld(state, command.subscriptionId, 'expiry');
  if (state.startDate === null || !isDateAfter(command.expiredOn, state.startDate)) return ok(state);
  if (state.expiredOn !== null) {
    return reject(
      'stale_event',
      `Subscription ${command.subscriptionId} already expired on ${state.expiredOn}; this expiry was not applied again. ` +
        'Nothing to do.',
    );
  }
  return ok(derive({ ...state, expiredOn: command.expiredOn, autoRenew: false, nextReconciliationDate: null }));
}

// A trial lets a namespace use a higher plan for free from `trialStartsOn` (its place in the log);
// the paid term underneath (if any) is kept so it comes back when the trial ends, and nothing is
// owed while the trial runs. Measurements on its days do not count toward the peak.
export function applyTrialStarted(state: FoldState, command: TrialStarted): ApplyResult {
  if (state.trial) {
    return reject(
      'stale_event',
      `Namespace ${state.namespaceId} is already in a ${state.planCode} trial (${state.trialStartsOn} to ` +
        `${state.trialEndsOn}); a second trial cannot start. End the current trial first.`,
    );
  }
  return ok(derive({ ...state, trial: true, trialStartsOn: command.trialStartsOn, trialEndsOn: command.trialEndsOn, planCode: command.planCode }));
}

// The trial running then gets another last day (same start). Any day after its start is taken; one
// on or before its start, or an extension with no trial running, changes nothing.
export function applyTrialExtended(state: FoldState, command: TrialExtended): ApplyResult {
  if (!state.trial || state.trialStartsOn === null || command.trialEndsOn <= state.trialStartsOn) return ok(state);
  return ok(derive({ ...state, trialEndsOn: command.trialEndsOn }));
}

// The trial running on `endedOn` (its place in the log) is over: the namespace returns to its
// active paid plan, or to free. The trial keeps its dates, its last day becoming the day it ended.
// An end with no trial running then changes nothing.
export function applyTrialEnded(state: FoldState, command: TrialEnded): ApplyResult {
  if (!state.trial) return ok(state);
  return ok(derive({ ...state, trial: false, trialEndsOn: command.endedOn }));
}

// The daily measurement. Every measurement counts toward the peak of the term its day falls in
// (overage is billed on the highest number of seats used in the term, not on today's), except on a
// trial day: GitLab does not refresh seats during a trial. `seatsInUse` is the newest measurement.
export function applySeatUsageReported(state: FoldState, command: SeatUsageReported): ApplyResult {
  const counted = countsTowardPeak(state, command.measuredAt);
  const raises = counted && (!state.fold.peakMeasured || command.seatsInUse > state.maxSeatsUsed);
  return ok(
    derive({
      ...state,
      seatsInUse: command.seatsInUse,
      lastMeasuredAt: command.measuredAt,
      ...(raises ? { maxSeatsUsed: command.seatsInUse, maxSeatsUsedChangedAt: command.measuredAt } : {}),
      fold: counted ? { ...state.fold, peakMeasured: true } : state.fold,
    }),
  );
}

// The commerce side billed a term's overage: what that term owes drops by what was billed (several
// reconciliations add up). The term is the current one or the previous one, by its start.
export function applyReconciliationCompleted(state: FoldState, command: ReconciliationCompleted): ApplyResult {
  if (state.subscriptionId !== command.subscriptionId) return notHeld(state, command.subscriptionId, 'reconciliation');
  if (state.startDate === command.termStartDate) return ok(derive({ ...state, seatsBilled: state.seatsBilled + command.seatsBilled }));
  const previous = state.previousTerm;
  if (previous?.startDate === command.termStartDate && previous.subscriptionId === command.subscriptionId) {
    return ok({ ...state, previousTerm: withOwed({ ...previous, seatsBilled: previous.seatsBilled + command.seatsBilled }) });
  }
  return termNotFound(state, command.termStartDate, 'reconciliation');
}

// A support engineer sets a term's peak (a wrong measurement, a migration): the term's peak becomes
// the correction, and measurements taken after it that are higher still raise it.
export function applySeatStatisticsCorrected(state: FoldState, command: SeatStatisticsCorrected): ApplyResult {
  if (state.startDate === command.termStartDate) {
    return ok(
      derive({
        ...state,
        maxSeatsUsed: command.maxSeatsUsed,
        maxSeatsUsedChangedAt: command.occurredAt,
        fold: { ...state.fold, peakMeasured: true },
      }),
    );
  }
  const previous = state.previousTerm;
  if (previous?.startDate === command.termStartDate) {
    return ok({ ...state, previousTerm: withOwed({ ...previous, maxSeatsUsed: command.maxSeatsUsed, maxSeatsUsedChangedAt: command.occurredAt }) });
  }
  return termNotFound(state, command.termStartDate, 'correction');
}

const withOwed = (term: TermSummary): TermSummary => ({
  ...term,
  seatsOwed: termSeatsOwed({ paidPlanCode: term.planCode, seats: term.seats, maxSeatsUsed: term.maxSeatsUsed, seatsBilled: term.seatsBilled }),
});

function termNotFound(state: NamespaceState, termStartDate: IsoDate, what: string): ApplyResult {
  const terms = [state.startDate, state.previousTerm?.startDate].filter((d): d is string => d !== null && d !== undefined);
  return reject(
    'term_not_found',
    `Namespace ${state.namespaceId} has no term starting ${termStartDate} (its terms start ${terms.length ? terms.join(' and ') : 'nowhere yet'}); ` +
      `the ${what} was not applied. Check termStartDate: only the current and the previous term can change.`,
  );
}

/**
 * Whether a measurement taken at `instant` counts toward the current term's peak: within the term
 * (`startDate ≤ instant <` its end or expiry) and not on a trial day (from `trialStartsOn` while a
 * trial runs; `trialStartsOn..trialEndsOn` once it ended).
 */
export function countsTowardPeak(state: FoldState, instant: IsoInstant): boolean {
  if (state.startDate === null || state.endDate === null) return false;
  const at = Date.parse(instant);
  const end = Math.min(dayStart(state.endDate), state.expiredOn !== null ? dayStart(state.expiredOn) : Infinity);
  if (at < dayStart(state.startDate) || at >= end) return false;
  return !onTrialDay(state, new Date(at).toISOString().slice(0, 10));
}

function onTrialDay(state: Pick<NamespaceState, 'trial' | 'trialStartsOn' | 'trialEndsOn'>, day: IsoDate): boolean {
  if (state.trialStartsOn === null || day < state.trialStartsOn) return false;
  return state.trial || (state.trialEndsOn !== null && day <= state.trialEndsOn);
}

/**
 * The term a state holds, as it is kept once a new term follows it.
 */
export function summarizeTerm(state: NamespaceState): TermSummary | null {
  if (state.subscriptionId === null || state.startDate === null || state.endDate === null || state.paidPlanCode === null) return null;
  return {
    subscriptionId: state.subscriptionId,
    planCode: state.paidPlanCode,
    seats: state.seats,
    startDate: state.startDate,
    endDate: state.endDate,
    expiredOn: state.expiredOn,
    maxSeatsUsed: state.maxSeatsUsed,
    maxSeatsUsedChangedAt: state.maxSeatsUsedChangedAt,
    seatsBilled: state.seatsBilled,
    seatsOwed: termSeatsOwed(state),
    nextReconciliationDate: state.nextReconciliationDate,
  };
}

type TermFields = Pick<NamespaceState, 'subscriptionId' | 'paidPlanCode' | 'seats' | 'startDate' | 'endDate' | 'autoRenew' | 'nextReconciliationDate'> & {
  startDate: IsoDate;
};

/**
 * A term starts (created, renewed): the current term, if any, becomes the previous one (and the
 * oldest place the log keeps); the peak restarts from the seats in use when it starts; a running
 * trial is converted, its last day the day before the term.
 */
function startTerm(state: FoldState, key: string, term: TermFields): FoldState {
  const ended = summarizeTerm(state);
  const trialEnd = state.trial ? { trial: false, trialEndsOn: minDate(state.trialEndsOn, addDays(term.startDate, -1)) } : {};
  return derive({
    ...state,
    ...trialEnd,
    ...term,
    expiredOn: null,
    seatsBilled: 0,
    maxSeatsUsed: state.lastMeasuredAt !== null ? state.seatsInUse : 0,
    maxSeatsUsedChangedAt: `${term.startDate}T00:00:00Z`,
    previousTerm: ended ?? state.previousTerm,
    fold: { peakMeasured: false, termKey: key, previousTermKey: ended ? state.fold.termKey : state.fold.previousTermKey },
  });
}

const ok = (state: FoldState): ApplyResult => ({ ok: true, state });

function reject(code: RejectionCode, message: string): ApplyResult {
  return { ok: false, rejection: { code, message } };
}

// At the command's place in the log the namespace holds another subscription (or none): the
// association moved, or the command is dated before its subscription's term.
function notHeld(state: NamespaceState, subscriptionId: string, what: string): ApplyResult {
  const held = state.subscriptionId === null ? 'no subscription' : `subscription ${state.subscriptionId}`;
  return reject(
    'subscription_not_held',
    `Namespace ${state.namespaceId} holds ${held}, not ${subscriptionId}, at the time of this ${what}; it was not applied. ` +
      `Look up which namespace ${subscriptionId} is associated with, and check the ${what}'s dates.`,
  );
}

const DAY_MS = 86_400_000;
const dayStart = (date: IsoDate): number => Date.parse(`${date}T00:00:00Z`);

/** `date` moved by `days` days. */
export const addDays = (date: IsoDate, days: number): IsoDate => new Date(dayStart(date) + days * DAY_MS).toISOString().slice(0, 10);

const minDate = (a: IsoDate | null, b: IsoDate): IsoDate => (a !== null && a < b ? a : b);

/** True when date `a` is strictly after date `b`. */
const isDateAfter = (a: IsoDate, b: IsoDate): boolean => a > b;

function assertNever(command: never): never {
  throw new Error(`Unknown lifecycle command: ${JSON.stringify(command)}`);
}
