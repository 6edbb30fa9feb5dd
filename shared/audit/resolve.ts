/**
 * Resolving the error record of a finding that no longer holds: along the workflow (`open →
 * resolved`; `needs_attention → in_progress → resolved`), every move in the record's change log
 * with the audit's note as its reason, and the note appended to the record's notes (an
 * engineer's notes are kept). Conditional on the record's revision; a lost race reads again.
 */
import type { ChangeEntry } from '../error-log/domain/record.js';
import { pathToResolved } from '../error-log/domain/status.js';
import { ErrorRecordNotFoundError, ErrorStore } from '../error-log/store.js';
import { ConcurrentUpdateError } from '../platform/dynamodb/errors.js';

/** The operator name the audit's changes carry. */
export const AUDIT_ACTOR = 'audit';
const MAX_ATTEMPTS = 5;
/** As much as PATCH /v1/errors/{id} accepts. */
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

/** Resolves audit record `id` with `note`; idempotent (an already resolved record is left as it is). */
export async function resolveWithNote(store: ErrorStore, id: string, note: string, actor = AUDIT_ACTOR): Promise<'resolved' | 'already_resolved' | 'skipped'> {
  for (let attempt = 1; ; attempt++) {
    const record = await store.get(id);
    // Only what the audit reported is the audit's to resolve.
    if (!record || record.source !== 'audit') return 'skipped';
    const path = pathToResolved(record.status);
    if (path.length === 0) return 'already_resolved';
    const now = new Date().toISOString();
    let from = record.status;
    const changes: ChangeEntry[] = path.map((to) => {
      const entry: ChangeEntry = { at: now, actor, field: 'status', from, to, reason: note };
      from = to;
      return entry;
    });
    const notes = appendNote(record.notes, note);
    changes.push({ at: now, actor, field: 'notes', from: excerpt(record.notes), to: excerpt(notes) });
    try {
      await store.applyChanges(id, record.revision, { status: 'resolved', notes }, changes, now);
      return 'resolved';
    } catch (error) {
      if (error instanceof ErrorRecordNotFoundError) return 'skipped';
      if (!(error instanceof ConcurrentUpdateError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

/** The change log keeps notes' first 200 characters, as for an operator's PATCH. */
const excerpt = (text: string | null): string | null => (text === null ? null : text.length > 200 ? `${text.slice(0, 199)}…` : text);
