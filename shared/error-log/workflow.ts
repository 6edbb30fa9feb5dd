/**
 * The operator's and the system's changes to error records: PATCH, and resolution by a closed
 * GitLab issue. Each reads the record, decides with the pure rules (status.ts, patch.ts) and writes
 * conditionally on the record's revision; a lost race re-reads and decides again.
 */
import { ErrorRecordNotFoundError, ErrorStore } from './store.js';
import { retryLostRaces } from '../platform/exactly-once.js';
import { ErrorRecordContendedError, InvalidTransitionError, UnknownErrorRecordError } from './errors.js';
import { planPatch, planResolution } from './domain/patch.js';
import type { ErrorPatch, ErrorRecord } from './domain/record.js';
import { errorIdOf, fingerprintOf } from './domain/sources.js';

const MAX_ATTEMPTS = 5;

/**
 * Applies an operator's PATCH. Moves outside the workflow are `409 invalid_transition` (with the
 * allowed moves in `details`); asking for what the record already holds changes nothing.
 *
 * @throws UnknownErrorRecordError no record `id` (404)
 * @throws InvalidTransitionError a move outside the workflow (409 `invalid_transition`)
 * @throws ErrorRecordContendedError every attempt lost its race (409 `concurrent_update`)
 */
export async function patchError(store: ErrorStore, id: string, patch: ErrorPatch, actor: string): Promise<ErrorRecord> {
  return retryLostRaces(
    async () => {
      const record = await store.get(id);
      if (!record) throw new UnknownErrorRecordError(id);
      const now = new Date().toISOString();
      const plan = planPatch(record, patch, actor, now);
      if (plan.kind === 'invalid') throw new InvalidTransitionError(plan.from, plan.to, plan.allowed);
      if (plan.kind === 'noop') return record;
      try {
        return await store.applyChanges(id, record.revision, plan.set, plan.changes, now);
      } catch (error) {
        if (error instanceof ErrorRecordNotFoundError) throw new UnknownErrorRecordError(id, { cause: error });
        throw error;
      }
    },
    { maxAttempts: MAX_ATTEMPTS, exhausted: (lastError) => new ErrorRecordContendedError(id, { cause: lastError }) },
  );
}

export interface ResolveSummary {
  resolved: string[];
  alreadyResolved: string[];
  /** Gone, or linked to another issue by the time it was read: left alone. */
  skipped: string[];
}

export interface ResolveOptions {
  /** Re-checked on each read (e.g. "still linked to this issue"); a record it refuses is skipped. */
  stillApplies?: (record: ErrorRecord) => boolean;
  /** Also append `reason` to the record's notes (the audit's resolutions say when and why). */
  appendNote?: boolean;
}

/**
 * Resolves one record along the workflow (`open → resolved`; `needs_attention → in_progress →
 * resolved`), every move in the change log with `reason`. Conditional on the record's revision; a
 * lost race reads again. Idempotent: a resolved record is left as it is.
 */
export async function resolveAlongWorkflow(
  store: ErrorStore,
  id: string,
  actor: string,
  reason: string,
  options: ResolveOptions = {},
): Promise<'resolved' | 'already_resolved' | 'skipped'> {
  return retryLostRaces(
    async () => {
      const record = await store.get(id);
      if (!record || !(options.stillApplies?.(record) ?? true)) return 'skipped';
      const now = new Date().toISOString();
      const plan = planResolution(record, actor, reason, now, { appendNote: options.appendNote });
      if (plan.kind === 'already_resolved') return 'already_resolved';
      try {
        await store.applyChanges(id, record.revision, plan.set, plan.changes, now);
        return 'resolved';
      } catch (error) {
        if (error instanceof ErrorRecordNotFoundError) return 'skipped';
        throw error;
      }
    },
    // A system resolution (webhook, audit) that keeps losing fails with the store's error: its caller retries.
    { maxAttempts: MAX_ATTEMPTS, exhausted: (lastError) => lastError },
  );
}

/** Resolves every record linked to `link` (a closed GitLab issue). A redelivered webhook finds them resolved. */
export async function resolveLinked(store: ErrorStore, link: string, actor: string, reason: string): Promise<ResolveSummary> {
  const summary: ResolveSummary = { resolved: [], alreadyResolved: [], skipped: [] };
  for (const id of await store.idsLinkedTo(link)) {
    const outcome = await resolveAlongWorkflow(store, id, actor, reason, { stillApplies: (record) => record.gitlabIssueLink === link });
    summary[outcome === 'resolved' ? 'resolved' : outcome === 'already_resolved' ? 'alreadyResolved' : 'skipped'].push(id);
  }
  return summary;
}

/**
 * Resolves the record of a finding that no longer holds (the reconciliation audit): the record of
 * `code` + `subject`, if there is one.
 */
export async function resolveFinding(store: ErrorStore, code: string, subject: string, actor: string, reason: string) {
  return resolveAlongWorkflow(store, errorIdOf(fingerprintOf(code, subject)), actor, reason);
}
