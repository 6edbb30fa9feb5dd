/**
 * The operator's and the system's changes to error records: PATCH, and resolution by a closed
 * GitLab issue. Each reads the record, decides with the pure rules (status.ts, patch.ts) and writes
 * conditionally on the record's revision; a lost race re-reads and decides again.
 */
import { ErrorRecordNotFoundError, ErrorStore, MAX_TRANSACTION_ITEMS } from './store.js';
import type { ResolutionWrite } from './store.js';
import { retryLostRaces } from '../platform/exactly-once.js';
import { ErrorRecordContendedError, InvalidTransitionError, UnknownErrorRecordError } from './errors.js';
import { planPatch, planResolution } from './domain/patch.js';
import type { ErrorPatch, ErrorRecord } from './domain/record.js';
import { errorIdOf, fingerprintOf } from './domain/origin.js';

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

/**
 * Records resolved per chunk of a closed issue. A chunk costs one Query page, ⌈500/100⌉ = 5
 * BatchGetItem (status, revision, link only) and 5 TransactWriteItems of 100 records — 11 calls,
 * whatever the issue's size; per record 0.02 calls. Only a transaction refused by a concurrent change
 * goes record by record (GetItem + UpdateItem each) for its 100 records.
 */
export const RESOLVE_CHUNK = 500;

export interface ChunkSummary extends ResolveSummary {
  /** The id to continue after (more records may be linked), or null: the issue is done. */
  next: string | null;
}

/**
 * Resolves one chunk of the records linked to `link` (a closed GitLab issue), in key order after
 * `after`: each along the workflow (`open → resolved`; `needs_attention → in_progress → resolved`,
 * every move in the change log with `reason`), in transactions of up to 100 records conditional on
 * the revision and link each was planned on. A record that changed meanwhile is decided again on
 * its own (resolveAlongWorkflow). Idempotent: a redelivery finds them resolved and writes nothing.
 */
export async function resolveLinkedChunk(
  store: ErrorStore,
  link: string,
  actor: string,
  reason: string,
  after: string | null,
  limit = RESOLVE_CHUNK,
): Promise<ChunkSummary> {
  const summary: ResolveSummary = { resolved: [], alreadyResolved: [], skipped: [] };
  const page = await store.linkedPage(link, after, limit);
  const states = await store.resolutionStates(page.ids);
  const now = new Date().toISOString();
  const writes: ResolutionWrite[] = [];
  for (const id of page.ids) {
    const state = states.get(id);
    if (!state || state.gitlabIssueLink !== link) {
      summary.skipped.push(id);
      continue;
    }
    const plan = planResolution({ status: state.status, notes: null }, actor, reason, now);
    if (plan.kind === 'already_resolved') summary.alreadyResolved.push(id);
    else writes.push({ id, revision: state.revision, link, changes: plan.changes });
  }
  for (let i = 0; i < writes.length; i += MAX_TRANSACTION_ITEMS) {
    const batch = writes.slice(i, i + MAX_TRANSACTION_ITEMS);
    if ((await store.resolveAll(batch, now)) === 'written') {
      summary.resolved.push(...batch.map((w) => w.id));
      continue;
    }
    for (const { id } of batch) {
      const outcome = await resolveAlongWorkflow(store, id, actor, reason, { stillApplies: (record) => record.gitlabIssueLink === link });
      summary[outcome === 'resolved' ? 'resolved' : outcome === 'already_resolved' ? 'alreadyResolved' : 'skipped'].push(id);
    }
  }
  return { ...summary, next: page.next };
}

/**
 * Resolves the record of a finding that no longer holds (the reconciliation audit): the record of
 * `code` + `subject`, if there is one.
 */
export async function resolveFinding(store: ErrorStore, code: string, subject: string, actor: string, reason: string) {
  return resolveAlongWorkflow(store, errorIdOf(fingerprintOf(code, subject)), actor, reason);
}
