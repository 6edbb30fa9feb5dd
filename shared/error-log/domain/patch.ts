/** What a PATCH of an error record changes, decided without I/O. */
import type { ChangeEntry, ErrorPatch, ErrorRecord } from './record.js';
import { pathToResolved, transition } from './status.js';
import type { ErrorStatus } from './status.js';

export type PatchPlan =
  | { kind: 'invalid'; from: ErrorStatus; to: ErrorStatus; allowed: readonly ErrorStatus[] }
  | { kind: 'noop' }
  | { kind: 'apply'; set: { status?: ErrorStatus; notes?: string | null; gitlabIssueLink?: string | null }; changes: ChangeEntry[] };

/** Notes are kept whole on the record; the change log keeps their first 200 characters. */
const excerpt = (text: string | null): string | null => (text === null ? null : text.length > 200 ? `${text.slice(0, 199)}…` : text);

/**
 * Plans a PATCH: the fields that really change and one change-log entry for each, or `invalid`
 * when the status move is outside the workflow. Fields given with their current value change
 * nothing, so a retried PATCH is a no-op.
 */
export function planPatch(
  current: Pick<ErrorRecord, 'status' | 'notes' | 'gitlabIssueLink'>,
  patch: ErrorPatch,
  actor: string,
  at: string,
): PatchPlan {
  const set: { status?: ErrorStatus; notes?: string | null; gitlabIssueLink?: string | null } = {};
  const changes: ChangeEntry[] = [];
  if (patch.status !== undefined) {
    const move = transition(current.status, patch.status);
    if (move.kind === 'invalid') return move;
    if (move.kind === 'move') {
      set.status = move.to;
      changes.push({ at, actor, field: 'status', from: move.from, to: move.to });
    }
  }
  if (patch.notes !== undefined) {
    const notes = patch.notes === null || patch.notes === '' ? null : patch.notes;
    if (notes !== current.notes) {
      set.notes = notes;
      changes.push({ at, actor, field: 'notes', from: excerpt(current.notes), to: excerpt(notes) });
    }
  }
  if (patch.gitlabIssueLink !== undefined && patch.gitlabIssueLink !== current.gitlabIssueLink) {
    set.gitlabIssueLink = patch.gitlabIssueLink;
    changes.push({ at, actor, field: 'gitlabIssueLink', from: current.gitlabIssueLink, to: patch.gitlabIssueLink });
  }
  return changes.length === 0 ? { kind: 'noop' } : { kind: 'apply', set, changes };
}

/** As much as PATCH /v1/errors/{id} accepts in `notes`. */
export const MAX_NOTES_CHARS = 10_000;

/**
 * `note` after the notes a record has, newest last; the oldest text goes first when too long.
 *
 * @example
 * appendNote('Zuora sync down', 'Resolved by the reconciliation audit of 2026-12-02: …');
 * // 'Zuora sync down\n\nResolved by the reconciliation audit of 2026-12-02: …'
 */
export function appendNote(notes: string | null, note: string, max = MAX_NOTES_CHARS): string {
  const joined = notes ? `${notes}\n\n${note}` : note;
  return joined.length > max ? `…${joined.slice(joined.length - max + 1)}` : joined;
}

export type ResolutionPlan = { kind: 'already_resolved' } | { kind: 'apply'; set: { status: 'resolved'; notes?: string }; changes: ChangeEntry[] };

/**
 * Plans a resolution along the workflow: an `open` record moves to `resolved`; one
 * `needs_attention` goes through `in_progress` first, every move in the change log with `reason`.
 * With `appendNote` the reason is also appended to the record's notes (an engineer's notes are kept).
 */
export function planResolution(
  current: Pick<ErrorRecord, 'status' | 'notes'>,
  actor: string,
  reason: string,
  at: string,
  options: { appendNote?: boolean } = {},
): ResolutionPlan {
  const path = pathToResolved(current.status);
  if (path.length === 0) return { kind: 'already_resolved' };
  let from = current.status;
  const changes: ChangeEntry[] = path.map((to) => {
    const entry: ChangeEntry = { at, actor, field: 'status', from, to, reason };
    from = to;
    return entry;
  });
  if (!options.appendNote) return { kind: 'apply', set: { status: 'resolved' }, changes };
  const notes = appendNote(current.notes, reason);
  changes.push({ at, actor, field: 'notes', from: excerpt(current.notes), to: excerpt(notes) });
  return { kind: 'apply', set: { status: 'resolved', notes }, changes };
}
