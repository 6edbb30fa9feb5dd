/**
 * The pure rules of the seven explicit lifecycle commands. Each rule applies exactly the change its
 * command names to a namespace's subscription state, or refuses it with a typed rejection; nothing
 * is inferred from which fields changed. No I/O, no clock: `ctx.appliedAt` is the only time used
 * besides the command's own.
 */
import type {
  ApplyContext,
  ApplyResult,
  EntitlementsUpdated,
  IsoDate,
  IsoInstant,
  LifecycleCommand,
  NamespaceState,
  RejectionCode,
  SeatUsageReported,
  SubscriptionCreated,
  SubscriptionExpired,
  SubscriptionRenewed,
  TrialEnded,
  TrialStarted,
} from './types.js';

const FREE_PLAN = 'free';
const TRIAL_PLAN_SUFFIX = '_trial';

/**
 * The state of a namespace never seen before: no subscription, the free plan, no statistics.
 *
 * @example
 * emptyState(42); // { namespaceId: 42, status: 'none', planCode: 'free', version: 0, … }
 */
export function emptyState(namespaceId: number): NamespaceState {
  return {
    namespaceId,
    subscriptionId: null,
    planCode: FREE_PLAN,
    paidPlanCode: null,
    seats: 0,
    seatsInUse: 0,
    maxSeatsUsed: 0,
    maxSeatsUsedChangedAt: null,
    seatsOwed: 0,
    trial: false,
    trialStartsOn: null,
    trialEndsOn: null,
    startDate: null,
    endDate: null,
    autoRenew: false,
    nextReconciliationDate: null,
    status: 'none',
    lastMeasuredAt: null,
    version: 0,
    updatedAt: null,
  };
}

/**
 * Seats to bill beyond the licence: only a paid, non-trial plan of an active term owes anything.
 *
 * @example
 * seatsOwed({ ...state, status: 'active', planCode: 'premium', trial: false, seats: 10, maxSeatsUsed: 14 }); // 4
 */
export function seatsOwed(
  state: Pick<NamespaceState, 'status' | 'trial' | 'planCode' | 'seats' | 'maxSeatsUsed'>,
): number {
  const billable =
    state.status === 'active' &&
    !state.trial &&
    state.planCode !== FREE_PLAN &&
    !state.planCode.endsWith(TRIAL_PLAN_SUFFIX);
  return billable ? Math.max(0, state.maxSeatsUsed - state.seats) : 0;
}

/**
 * Applies one lifecycle command to a namespace's state. Pure: the input is never mutated, and the
 * same input always gives the same output. On success the new state has `version + 1`,
 * `updatedAt = ctx.appliedAt` and `seatsOwed` recomputed; on refusal nothing changes and the
 * rejection says what was wrong and what to do.
 *
 * @example
 * const before = { ...emptyState(7), subscriptionId: 'sub-1', status: 'active', planCode: 'premium',
 *   paidPlanCode: 'premium', seats: 10, seatsInUse: 3, maxSeatsUsed: 14, startDate: '2025-01-01',
 *   endDate: '2026-01-01', version: 5 };
 * const result = applyCommand(
 *   before,
 *   { type: 'renewed', eventId: 'e-9', occurredAt: '2026-01-01T00:00:00Z', subscriptionId: 'sub-1',
 *     startDate: '2026-01-01', endDate: '2027-01-01', seats: 5 },
 *   { appliedAt: '2026-01-01T00:00:05Z' },
 * );
 * if (result.ok) result.state; // maxSeatsUsed 3, seatsOwed 0, version 6
 * else result.rejection;       // { code: 'stale_event', message: '…' }
 */
export function applyCommand(state: NamespaceState, command: LifecycleCommand, ctx: ApplyContext): ApplyResult {
  switch (command.type) {
    case 'created':
      return applyCreated(state, command, ctx);
    case 'renewed':
      return applyRenewed(state, command, ctx);
    case 'entitlementsUpdated':
      return applyEntitlementsUpdated(state, command, ctx);
    case 'expired':
      return applyExpired(state, command, ctx);
    case 'trialStarted':
      return applyTrialStarted(state, command, ctx);
    case 'trialEnded':
      return applyTrialEnded(state, command, ctx);
    case 'seatUsageReported':
      return applySeatUsageReported(state, command, ctx);
    default:
      return assertNever(command);
  }
}

// A new paid term starts on the namespace; a trial running there is converted without a manual
// step, and the peak resets: an old term's overage (or a trial's usage) must never be billed again.
export function applyCreated(state: NamespaceState, command: SubscriptionCreated, ctx: ApplyContext): ApplyResult {
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
  if (!isDateAfter(command.endDate, command.startDate)) {
    return invalidTerm(command.startDate, command.endDate);
  }
  return accept(
    state,
    {
      subscriptionId: command.subscriptionId,
      planCode: command.planCode,
      paidPlanCode: command.planCode,
      seats: command.seats,
      startDate: command.startDate,
      endDate: command.endDate,
      autoRenew: command.autoRenew ?? false,
      nextReconciliationDate: command.nextReconciliationDate ?? null,
      status: 'active',
      trial: false,
      trialStartsOn: null,
      trialEndsOn: null,
      ...resetPeak(state, command.occurredAt),
    },
    ctx,
  );
}

// A new term of the same subscription (also after it expired) resets the peak: an old term's
// overage must never be billed again. A trial running on top of the paid term keeps running.
export function applyRenewed(state: NamespaceState, command: SubscriptionRenewed, ctx: ApplyContext): ApplyResult {
  if (state.subscriptionId !== command.subscriptionId) {
    return notHeld(state, command.subscriptionId, 'renewal');
  }
  if (!isDateAfter(command.endDate, command.startDate)) {
    return invalidTerm(command.startDate, command.endDate);
  }
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
  return accept(
    state,
    {
      startDate: command.startDate,
      endDate: command.endDate,
      seats: command.seats ?? state.seats,
      paidPlanCode,
      planCode: state.trial ? state.planCode : paidPlanCode,
      nextReconciliationDate: command.nextReconciliationDate ?? state.nextReconciliationDate,
      status: 'active',
      ...resetPeak(state, command.occurredAt),
    },
    ctx,
  );
}

// A mid-term change (seats added, plan changed, reconciliation rescheduled) keeps the term's peak:
// seats used earlier in the term and not covered by the new licence are still owed.
export function applyEntitlementsUpdated(
  state: NamespaceState,
  command: EntitlementsUpdated,
  ctx: ApplyContext,
): ApplyResult {
  if (state.subscriptionId !== command.subscriptionId) {
    return notHeld(state, command.subscriptionId, 'entitlements update');
  }
  if (state.status === 'expired') {
    return reject(
      'subscription_expired',
      `Subscription ${command.subscriptionId} has expired; its entitlements can no longer change. ` +
        'Send a renewal to start a new term, or a new subscription.',
    );
  }
  const paidPlanCode = command.planCode ?? state.paidPlanCode;
  return accept(
    state,
    {
      seats: command.seats ?? state.seats,
      paidPlanCode,
      planCode: state.trial ? state.planCode : (command.planCode ?? state.planCode),
      nextReconciliationDate: command.nextReconciliationDate ?? state.nextReconciliationDate,
    },
    ctx,
  );
}

// The paid term ended without renewal: the namespace drops to free and owes nothing, while the
// subscription stays associated (and its last statistics stay) so the history explains past bills.
export function applyExpired(state: NamespaceState, command: SubscriptionExpired, ctx: ApplyContext): ApplyResult {
  if (state.subscriptionId !== command.subscriptionId) {
    return notHeld(state, command.subscriptionId, 'expiry');
  }
  if (state.status === 'expired') {
    return reject(
      'stale_event',
      `Subscription ${command.subscriptionId} has already expired; this expiry was not applied again. ` +
        'Nothing to do.',
    );
  }
  // An expiry dated before the current term started belongs to an earlier term that has since been
  // renewed: applying it would cut off a term the customer paid for.
  if (state.startDate !== null && isDateAfter(state.startDate, command.expiredOn)) {
    return reject(
      'stale_event',
      `Expiry of ${command.subscriptionId} on ${command.expiredOn} is older than the current term ` +
        `(started ${state.startDate}): it belongs to an earlier term and was not applied.`,
    );
  }
  return accept(
    state,
    {
      status: 'expired',
      planCode: state.trial ? state.planCode : FREE_PLAN,
      paidPlanCode: null,
      autoRenew: false,
      nextReconciliationDate: null,
    },
    ctx,
  );
}

// A trial lets a namespace use a higher plan for free; the paid term underneath (if any) is kept
// so it comes back when the trial ends, and nothing is owed while the trial runs.
export function applyTrialStarted(state: NamespaceState, command: TrialStarted, ctx: ApplyContext): ApplyResult {
  if (state.trial) {
    return reject(
      'stale_event',
      `Namespace ${state.namespaceId} is already in a ${state.planCode} trial (${state.trialStartsOn} to ` +
        `${state.trialEndsOn}); a second trial cannot start. End the current trial first.`,
    );
  }
  if (!isDateAfter(command.trialEndsOn, command.trialStartsOn)) {
    return reject(
      'invalid_dates',
      `trialEndsOn (${command.trialEndsOn}) must be after trialStartsOn (${command.trialStartsOn}). ` +
        'Correct the trial dates and resend.',
      ['trialStartsOn', 'trialEndsOn'],
    );
  }
  return accept(
    state,
    {
      trial: true,
      trialStartsOn: command.trialStartsOn,
      trialEndsOn: command.trialEndsOn,
      planCode: command.planCode,
    },
    ctx,
  );
}

// The trial is over: the namespace returns to its active paid plan, or to free without one. The
// term's statistics are untouched, so usage during the trial still counts against the paid term.
export function applyTrialEnded(state: NamespaceState, _command: TrialEnded, ctx: ApplyContext): ApplyResult {
  if (!state.trial) {
    return reject(
      'not_in_trial',
      `Namespace ${state.namespaceId} is not in a trial, so there is no trial to end. ` +
        'Check the namespace id, or whether the trial was already ended or converted to a paid subscription.',
    );
  }
  const paidTermActive = state.status === 'active' && state.paidPlanCode !== null;
  return accept(
    state,
    {
      trial: false,
      trialStartsOn: null,
      trialEndsOn: null,
      planCode: paidTermActive && state.paidPlanCode !== null ? state.paidPlanCode : FREE_PLAN,
    },
    ctx,
  );
}

// The daily measurement: the term's peak only ever grows within a term, because overage is billed
// on the highest number of seats used, not on today's.
export function applySeatUsageReported(
  state: NamespaceState,
  command: SeatUsageReported,
  ctx: ApplyContext,
): ApplyResult {
  const measuredAt = Date.parse(command.measuredAt);
  if (Number.isNaN(measuredAt)) {
    return reject(
      'invalid_dates',
      `measuredAt (${command.measuredAt}) is not an ISO 8601 instant. Resend with a time such as 2026-11-22T10:00:00Z.`,
      ['measuredAt'],
    );
  }
  if (state.lastMeasuredAt !== null && measuredAt < Date.parse(state.lastMeasuredAt)) {
    return reject(
      'stale_event',
      `Seat usage measured at ${command.measuredAt} is older than the last measurement applied ` +
        `(${state.lastMeasuredAt}) and was not applied. Only send measurements newer than the last one.`,
    );
  }
  const peakGrows = command.seatsInUse > state.maxSeatsUsed;
  return accept(
    state,
    {
      seatsInUse: command.seatsInUse,
      maxSeatsUsed: peakGrows ? command.seatsInUse : state.maxSeatsUsed,
      maxSeatsUsedChangedAt: peakGrows ? command.measuredAt : state.maxSeatsUsedChangedAt,
      lastMeasuredAt: command.measuredAt,
    },
    ctx,
  );
}

/** The fields a new term sets: the peak restarts from the seats in use right now. */
function resetPeak(
  state: NamespaceState,
  occurredAt: IsoInstant,
): Pick<NamespaceState, 'maxSeatsUsed' | 'maxSeatsUsedChangedAt'> {
  return { maxSeatsUsed: state.seatsInUse, maxSeatsUsedChangedAt: occurredAt };
}

type RuleChange = Partial<Omit<NamespaceState, 'namespaceId' | 'version' | 'updatedAt' | 'seatsOwed'>>;

function accept(state: NamespaceState, change: RuleChange, ctx: ApplyContext): ApplyResult {
  const next: NamespaceState = {
    ...state,
    ...change,
    version: state.version + 1,
    updatedAt: ctx.appliedAt,
  };
  next.seatsOwed = seatsOwed(next);
  return { ok: true, state: next };
}

function reject(code: RejectionCode, message: string, fields?: readonly string[]): ApplyResult {
  return { ok: false, rejection: { code, message, ...(fields ? { fields } : {}) } };
}

function invalidTerm(startDate: IsoDate, endDate: IsoDate): ApplyResult {
  return reject(
    'invalid_dates',
    `endDate (${endDate}) must be after startDate (${startDate}). Correct the term dates and resend.`,
    ['startDate', 'endDate'],
  );
}

// The store finds the namespace by subscription, so a mismatch means the association moved (for
// instance a reassociation) after the event was sent.
function notHeld(state: NamespaceState, subscriptionId: string, what: string): ApplyResult {
  const held = state.subscriptionId === null ? 'no subscription' : `subscription ${state.subscriptionId}`;
  return reject(
    'stale_event',
    `Namespace ${state.namespaceId} holds ${held}, not ${subscriptionId}; the ${what} was not applied. ` +
      `Look up which namespace ${subscriptionId} is associated with now.`,
  );
}

/** True when date `a` is strictly after date `b`; false if either is not a parsable date. */
function isDateAfter(a: IsoDate, b: IsoDate): boolean {
  return Date.parse(a) > Date.parse(b);
}

function assertNever(command: never): never {
  throw new Error(`Unknown lifecycle command: ${JSON.stringify(command)}`);
}
