/**
 * States stored before the log existed: read as they are, and made the log's starting snapshot on
 * their next write. Their place in the log (the base) is the newest instant the old state is known
 * to reflect — its last measurement, its term's start, its trial's start — so a command placed
 * before it is stale (the old rules refused those too) and one placed after it folds on top of it.
 */
import { baseKey } from './log.js';
import type { FoldState, NamespaceState } from './types.js';

/** The key of an upgraded state's base entry: after every command at its instant. */
export const upgradeBaseKey = (position: string): string => baseKey(null, position, 'upgrade');

/** Whether a stored state was written before the log (it has no fold marks). */
export const isLegacyState = (stored: Partial<FoldState>): boolean => stored.fold === undefined || stored.fold === null;

/**
 * The fold state of a state stored before the log, and the key of its base entry.
 *
 * @example
 * const { state, baseKey } = upgradeLegacyState(itemOfTodaysShape);
 * // state.fold.peakMeasured: the term has a measurement of its own; baseKey: '2026-05-30T00:00:00.000Z#9#…'
 */
export function upgradeLegacyState(stored: NamespaceState): { state: FoldState; baseKey: string } {
  const dayStart = (date: string | null) => (date === null ? null : `${date}T00:00:00.000Z`);
  const instants = [stored.lastMeasuredAt && new Date(stored.lastMeasuredAt).toISOString(), dayStart(stored.startDate), dayStart(stored.trialStartsOn)];
  const known = instants.filter((i): i is string => typeof i === 'string');
  const position = known.length ? known.reduce((a, b) => (a > b ? a : b)) : new Date(stored.updatedAt ?? 0).toISOString();
  const baseKey = upgradeBaseKey(position);
  const expiredOn = stored.status === 'expired' ? (stored.endDate ?? (stored.updatedAt ?? position).slice(0, 10)) : null;
  const peakMeasured =
    stored.lastMeasuredAt !== null && stored.startDate !== null && Date.parse(stored.lastMeasuredAt) >= Date.parse(`${stored.startDate}T00:00:00Z`);
  return {
    state: {
      ...stored,
      expiredOn: stored.expiredOn ?? expiredOn,
      seatsBilled: stored.seatsBilled ?? 0,
      previousTerm: stored.previousTerm ?? null,
      fold: { peakMeasured, termKey: stored.startDate !== null ? baseKey : null, previousTermKey: null },
    },
    baseKey,
  };
}
