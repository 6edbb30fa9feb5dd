/**
 * The operator's and the system's changes to error records: PATCH, and resolution by a closed
 * GitLab issue. Each reads the record, decides with the pure rules (status.ts, patch.ts) and writes
 * conditionally on the record's revision; a lost race re-reads and decides again.
 */
import { conflict, notFound } from '../platform/http/errors.js';
import { ErrorRecordNotFoundError, ErrorStore } from './store.js';
import { ConcurrentUpdateError } from '../platform/dynamodb/errors.js';
import { planPatch, planResolution } from './domain/patch.js';
import type { ErrorPatch, ErrorRecord } from './domain/record.js';
import { errorIdOf, fingerprintOf } from './domain/sources.js';

const MAX_ATTEMPTS = 5;

/**
 * Applies an operator's PATCH. Moves outside the workflow are `409 invalid_transition` (with the
 * allowed moves in `details`); asking for what the record already holds changes nothing.
 */
export async function patchError(store: ErrorStore, id: string, patch: ErrorPatch, actor: string): Promise<ErrorRecord> {
  for (let attempt = 1; ; attempt++) {
    const record = await store.get(id);
    if (!record) throw notFound(`No error record ${id}: list them with GET /v1/errors.`);
    const now = new Date().toISOString();
    const plan = planPatch(record, patch, actor, now);
    if (plan.kind === 'invalid') {
      throw conflict(
        'invalid_transition',
        `An error cannot move from ${plan.from} to ${plan.to}: ${plan.allowed.length ? `from ${plan.from} it can move to ${plan.allowed.join(' or ')}` : `${plan.from} is final`}.`,
        { from: plan.from, to: plan.to, allowed: plan.allowed },
      );
    }
    if (plan.kind === 'noop') return record;
    try {
      return await store.applyChanges(id, record.revision, plan.set, plan.changes, now);
    } catch (error) {
      if (error instanceof ErrorRecordNotFoundError) throw notFound(`No error record ${id}: list them with GET /v1/errors.`);
      if (!(error instanceof ConcurrentUpdateError)) throw error;
      if (attempt >= MAX_ATTEMPTS) throw conflict('concurrent_update', `Error record ${id} keeps changing while you update it; read it again and retry.`);
    }
  }
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
  for (let attempt = 1; ; attempt++) {
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
      if (!(error instanceof ConcurrentUpdateError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
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
