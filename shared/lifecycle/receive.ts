/**
 * Receiving one command into a namespace's log: where it goes (./domain/log.ts), which entries it
 * needs read, and what the fold gives. The store reads and writes; this decides. Used by the
 * command executor, and by the property tests with a log kept in memory, so both run the same code.
 */
import { MAX_REFOLD, append, floorOf, insert, logKey, place } from './domain/log.js';
import type { Fold, LogEntry } from './domain/log.js';
import { emptyState } from './domain/rules.js';
import type { FoldState, LifecycleCommand } from './domain/types.js';

/** What the state item says of the log. */
export interface LogHead {
  state: FoldState;
  /** The newest entry's key; null when the log has no entry yet. */
  lastKey: string | null;
  /** The base entry of a state upgraded from before the log (shared/lifecycle/domain/upgrade.ts); null otherwise. */
  baseKey: string | null;
}

/** The entries around a place in the log, as one read finds them (newest first, then turned around). */
export interface LogSlice {
  /** The entry just before the place (the state to fold from); null when the log starts after it. */
  before: LogEntry | null;
  /** The entry at the place itself: the same command received before. */
  at: LogEntry | null;
  /** Every entry after the place, in key order. */
  after: LogEntry[];
  /** More than the asked-for number of entries come after the place. */
  truncated: boolean;
}

/** Reads the slice of the log around `key`, with at most `maxAfter` entries after it. */
export type ReadSlice = (key: string, maxAfter: number) => Promise<LogSlice>;

export type Receipt =
  /** Older than the log keeps: nothing changes. */
  | { kind: 'stale'; key: string; floorKey: string | null; reason: 'before_floor' | 'too_late' }
  /** The log already holds this command (its key). */
  | { kind: 'duplicate'; key: string; entry: LogEntry }
  /** Folded: the new head, the command's entry, the entries to write again, and the log's new last key. */
  | { kind: 'folded'; key: string; fold: Fold; lastKey: string; late: boolean; refolded: number };

/**
 * Puts `command` in the log whose head is `head`: in order, it is applied to the head; late, the
 * entries after its place are read and folded again; older than the log keeps, it is stale.
 *
 * @example
 * const receipt = await receive(head, command, (key, max) => store.readLogSlice(namespaceId, key, max));
 * if (receipt.kind === 'folded') await store.commit(receipt.fold, …);
 */
export async function receive(head: LogHead, command: LifecycleCommand, readSlice: ReadSlice): Promise<Receipt> {
  const key = logKey(command);
  const floorKey = floorOf(head.state, head.baseKey);
  const placement = place(key, { lastKey: head.lastKey, floorKey });
  if (placement.kind === 'stale') return { kind: 'stale', key, floorKey, reason: 'before_floor' };
  if (placement.kind === 'append') {
    return { kind: 'folded', key, fold: append(head.state, command, key), lastKey: key, late: false, refolded: 0 };
  }
  const slice = await readSlice(key, MAX_REFOLD);
  if (slice.at) return { kind: 'duplicate', key, entry: slice.at };
  if (slice.truncated) return { kind: 'stale', key, floorKey, reason: 'too_late' };
  // A base entry after its place: the log was started again (a reassociation) after the head was
  // read, so the floor has moved past this command; read again, it would be stale before the floor.
  if (slice.after.some((entry) => entry.command === null)) return { kind: 'stale', key, floorKey, reason: 'before_floor' };
  const base = slice.before?.state ?? (floorKey === null ? { ...emptyState(head.state.namespaceId), version: head.state.version } : null);
  if (base === null) throw new Error(`the log of namespace ${head.state.namespaceId} has no entry before ${key} although it keeps everything after ${floorKey}`);
  const fold = insert(base, slice.after, command, key);
  return { kind: 'folded', key, fold, lastKey: head.lastKey!, late: true, refolded: slice.after.length };
}
