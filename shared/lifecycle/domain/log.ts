/**
 * The namespace's log: every command it received, in business order, each with the state after it.
 * The state is the fold of the log, so the same commands give the same state whatever order they
 * arrive in and however often: a command that arrives in order is applied to the current state; a
 * late one is put where it belongs and the commands after it are applied again, starting from the
 * state kept just before it. Pure: the store reads and writes what these functions decide.
 *
 * **Business order.** A command's place is the time it takes effect:
 * - `created`, `renewed`: the term's `startDate` (a renewal is pending until its start, and a
 *   renewal sent late still owns the measurements taken in its term);
 * - `expired`: `expiredOn`; `trialStarted`: `trialStartsOn`; `trialEnded`: `endedOn`;
 * - `seatUsageReported`: `measuredAt`; everything else (entitlements, a trial's extension, a
 *   reconciliation, a correction — whose `occurredAt` is when the service applied it): `occurredAt`.
 * At one instant a term's start comes first, then an expiry, a trial's start, its end, its extension,
 * measurements, entitlements, reconciliations, corrections; then `occurredAt`, then `eventId`. The key (`logKey`) sorts as text in this order.
 *
 * **What the log keeps.** Back to the start of the previous term (`floorKey`): a command placed at
 * or before it is stale (it can no longer change the current or the previous term), and so is one
 * that would make more than {@link MAX_REFOLD} later entries be folded again (about three months of
 * daily measurements: what one transaction can rewrite).
 */
import { applyCommand } from './rules.js';
import type { CommandType, FoldState, LifecycleCommand, Rejection } from './types.js';

/** The most later entries one late command may fold again (one transaction holds 100 items). */
export const MAX_REFOLD = 90;

/** Order at one instant: a term's start first, then an expiry, a trial's start and end, measurements, entitlements. */
const RANK: Readonly<Record<CommandType, number>> = {
  created: 0,
  renewed: 0,
  expired: 1,
  trialStarted: 2,
  trialEnded: 3,
  trialExtended: 4,
  seatUsageReported: 5,
  entitlementsUpdated: 6,
  reconciliationCompleted: 7,
  seatStatisticsCorrected: 8,
};

const atDayStart = (date: string): string => `${date}T00:00:00.000Z`;
/** An instant written the one way that sorts as text: UTC, milliseconds. */
const normal = (instant: string): string => new Date(instant).toISOString();

/**
 * When a command takes effect: its place in business order.
 *
 * @example
 * positionOf({ type: 'renewed', startDate: '2026-06-01', occurredAt: '2026-05-15T09:00:00Z', … }); // '2026-06-01T00:00:00.000Z'
 */
export function positionOf(command: LifecycleCommand): string {
  switch (command.type) {
    case 'created':
    case 'renewed':
      return atDayStart(command.startDate);
    case 'expired':
      return atDayStart(command.expiredOn);
    case 'trialStarted':
      return atDayStart(command.trialStartsOn);
    case 'trialEnded':
      return atDayStart(command.endedOn);
    case 'seatUsageReported':
      return normal(command.measuredAt);
    case 'entitlementsUpdated':
    case 'trialExtended':
    case 'reconciliationCompleted':
    case 'seatStatisticsCorrected':
      return normal(command.occurredAt);
  }
}

/**
 * The command's key in the log: position, rank, `occurredAt`, `eventId`. Keys sort as text in
 * business order, and the same command always has the same key (a redelivery meets its own entry).
 */
export function logKey(command: LifecycleCommand): string {
  return `${positionOf(command)}#${RANK[command.type]}#${normal(command.occurredAt)}#${command.eventId}`;
}

/**
 * The key of a base entry (a state the log starts from without a command: an upgraded state, a
 * reassociation) placed at `at`, or just after the log's newest entry when that is later: after
 * every command at its instant, and always after `lastKey`.
 *
 * @example
 * baseKey(null, '2026-03-01T10:00:00Z', 'reassociated-r-1'); // '2026-03-01T10:00:00.000Z#9#2026-03-01T10:00:00.000Z#~reassociated-r-1'
 */
export function baseKey(lastKey: string | null, at: string, tag: string): string {
  const keyAt = (position: string) => `${position}#9#${position}#~${tag}`;
  const lastPosition = lastKey?.slice(0, 24) ?? null;
  const position = lastPosition !== null && lastPosition > normal(at) ? lastPosition : normal(at);
  if (lastKey === null || keyAt(position) > lastKey) return keyAt(position);
  return keyAt(new Date(Date.parse(position) + 1).toISOString());
}

/** One entry of the log: the command and the state after it (unchanged when the rules refused it). */
export interface LogEntry {
  key: string;
  /**
   * null for a base entry: a state the log starts from without a command (a state stored before
   * the log existed, a reassociation). It is the oldest entry the log keeps, never folded again.
   */
  command: LifecycleCommand | null;
  state: FoldState;
  /** Why the rules refused the command at this place; null when it was applied. */
  rejection: Rejection | null;
}

/** Where the log stands, as the state item records it. */
export interface LogBounds {
  /** The newest entry's key; null for a log with no entry yet. */
  lastKey: string | null;
  /** The oldest place the log keeps (the previous term's start, or the base an older state was upgraded from); null: everything. */
  floorKey: string | null;
}

export type Placement =
  /** After every entry: apply to the current state. */
  | { kind: 'append' }
  /** Between entries: fold again from the state before it (the store reads the entries after it). */
  | { kind: 'insert' }
  /** The log already holds this key: a redelivery. */
  | { kind: 'duplicate' }
  /** At or before the oldest place the log keeps. */
  | { kind: 'stale' };

/** Where a command with `key` goes in a log with these bounds. */
export function place(key: string, bounds: LogBounds): Placement {
  if (bounds.floorKey !== null && key <= bounds.floorKey) return { kind: 'stale' };
  if (bounds.lastKey === null || key > bounds.lastKey) return { kind: 'append' };
  if (key === bounds.lastKey) return { kind: 'duplicate' };
  return { kind: 'insert' };
}

/** What receiving one command does to the log. */
export interface Fold {
  /** The state just before the command's place: what the rules judged it against. */
  before: FoldState;
  /** The state after every entry: the namespace's new state (version and updatedAt are the writer's). */
  head: FoldState;
  /** The command's own entry. */
  entry: LogEntry;
  /** Later entries whose state or verdict changed: written again. */
  rewritten: LogEntry[];
}

/** A command that arrives in order: applied to the current state. */
export function append(head: FoldState, command: LifecycleCommand, key: string = logKey(command)): Fold {
  const entry = judge(head, command, key);
  return { before: head, head: entry.state, entry, rewritten: [] };
}

/**
 * A command that arrives late: applied to `base`, the state kept just before its place, then every
 * later entry (`later`, in key order, all after `key`) is applied again. Only entries whose state or
 * verdict changed are rewritten.
 *
 * @example
 * // A trial that covered a measurement arrives after it: the measurement no longer counts.
 * const { head, rewritten } = insert(base, [measurementEntry], trialStarted);
 */
export function insert(base: FoldState, later: readonly LogEntry[], command: LifecycleCommand, key: string = logKey(command)): Fold {
  const entry = judge(base, command, key);
  const rewritten: LogEntry[] = [];
  let state = entry.state;
  for (const old of later) {
    if (old.command === null) throw new Error(`log entry ${old.key} is a base entry after ${key}: a base is always the oldest entry kept`);
    const next = judge(state, old.command, old.key);
    if (!sameJudgement(old, next)) rewritten.push(next);
    state = next.state;
  }
  return { before: base, head: state, entry, rewritten };
}

/**
 * The floor a state puts on the log: the previous term's start, unless an older upgrade base is
 * newer still.
 */
export function floorOf(head: FoldState, baseKey: string | null): string | null {
  const previous = head.fold.previousTermKey;
  if (previous === null) return baseKey;
  if (baseKey === null) return previous;
  return previous > baseKey ? previous : baseKey;
}

function judge(state: FoldState, command: LifecycleCommand, key: string): LogEntry {
  const result = applyCommand(state, command, { key });
  return result.ok
    ? { key, command, state: { ...result.state, version: state.version, updatedAt: state.updatedAt }, rejection: null }
    : { key, command, state, rejection: result.rejection };
}

function sameJudgement(a: LogEntry, b: LogEntry): boolean {
  return a.rejection?.code === b.rejection?.code && sameState(a.state, b.state);
}

/** Equal as the fold sees them: every field but `version` and `updatedAt`. */
export function sameState(a: FoldState, b: FoldState): boolean {
  return canonical({ ...a, version: 0, updatedAt: null }) === canonical({ ...b, version: 0, updatedAt: null });
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
