/**
 * The reconciliation audit as a job (shared/jobs/job.ts): its schedule
 * (05:00 UTC, functions/reconciliation-audit/) and `POST /v1/jobs/reconciliation-audit/runs` run it
 * with the production adapters — the state and errors tables, the bus, the error log's workflow.
 *
 * Each invocation has a time budget below its function's timeout. A run that does not finish in it
 * records how far it got and answers `partial`; an operator's next POST resumes it. For the
 * schedule a partial run is a failure, so Lambda's retries of the asynchronous invocation resume it
 * (and, if they run out, the failure reaches the error log).
 */
import * as z from '../platform/zod.js';
import { auditFinding, AUDIT_FINDING } from '../platform/failure-events.js';
import type { AuditFinding } from '../platform/failure-events.js';
import { publish } from '../platform/bus.js';
import { ErrorStore, resolveAlongWorkflow } from '../error-log/index.js';
import type { Job, JobContext } from '../jobs/index.js';
import { auditMetrics } from './metrics.js';
import { AUDIT_JOB, runAudit } from './run.js';
import type { AuditDeps, AuditSummary } from './run.js';
import { AuditStore } from './store.js';
import { sleep } from '../platform/backoff.js';

/** The jobs route answers within API Gateway's 30 s (the function times out at 29 s). */
export const MANUAL_BUDGET_MS = 20_000;
export const MANUAL_LEASE_MS = 60_000;
/** The scheduled function times out at 15 minutes. */
export const SCHEDULE_BUDGET_MS = 12 * 60_000;
export const SCHEDULE_LEASE_MS = 14 * 60_000;

const PUBLISH_ATTEMPTS = 4;

/** Some findings could not be put on the bus: the run stops at its last checkpoint and resumes from it. */
export class AuditPublishError extends Error {
  override readonly name = 'AuditPublishError';
}

/** A scheduled run used up its time: thrown so the invocation's retry resumes it. */
export class AuditIncompleteError extends Error {
  override readonly name = 'AuditIncompleteError';
}

/**
 * Puts findings on the bus as `Audit Finding` events (validated against the contract), retrying
 * the entries the bus did not take.
 * @throws AuditPublishError when some are still not taken after 4 attempts
 */
export async function publishFindings(findings: readonly AuditFinding[], put: typeof publish = publish): Promise<void> {
  let pending = findings.map((finding, index) => ({ detailType: AUDIT_FINDING, detail: auditFinding.parse(finding), id: String(index) }));
  for (let attempt = 1; pending.length > 0; attempt++) {
    const failed = new Set(await put(pending));
    pending = pending.filter((event) => failed.has(event.id));
    if (pending.length === 0) return;
    if (attempt >= PUBLISH_ATTEMPTS) {
      throw new AuditPublishError(`${pending.length} of ${findings.length} audit finding(s) could not be put on the bus after ${attempt} attempts; the audit resumes from its last checkpoint on its next run.`);
    }
    await sleep(100 * 2 ** attempt);
  }
}

/** The operator name the audit's changes to error records carry. */
export const AUDIT_ACTOR = 'audit';

/**
 * Resolves a record the audit reported whose finding no longer holds: along the workflow, with the
 * audit's note as the reason of every move and appended to the record's notes. Only records the
 * audit reported are the audit's to resolve.
 */
export const resolveReported =
  (errors: ErrorStore) =>
  (id: string, note: string): Promise<'resolved' | 'already_resolved' | 'skipped'> =>
    resolveAlongWorkflow(errors, id, AUDIT_ACTOR, note, { stillApplies: (record) => record.source === 'audit', appendNote: true });

/** The production adapters; a new store per run, so its capacity counter is the run's own. */
export function defaultAuditDeps(log: JobContext['log']): AuditDeps {
  return {
    store: new AuditStore(),
    publish: (findings) => publishFindings(findings),
    resolve: resolveReported(new ErrorStore()),
    metrics: auditMetrics,
    now: () => new Date(),
    log,
  };
}

const asOfDate = z.iso.date();

export async function runReconciliationAudit(context: JobContext, deps: AuditDeps = defaultAuditDeps(context.log)): Promise<AuditSummary> {
  const asOf = asOfDate.parse(context.asOf);
  const scheduled = context.trigger === 'schedule';
  const summary = await runAudit(
    {
      asOf,
      trigger: context.trigger,
      actor: context.actor,
      budgetMs: scheduled ? SCHEDULE_BUDGET_MS : MANUAL_BUDGET_MS,
      leaseMs: scheduled ? SCHEDULE_LEASE_MS : MANUAL_LEASE_MS,
    },
    deps,
  );
  if (scheduled && summary.status === 'partial') {
    throw new AuditIncompleteError(`The audit of ${asOf} did not finish within ${SCHEDULE_BUDGET_MS / 60_000} minutes (stopped in phase ${String(summary.phase)}); the retry resumes it.`);
  }
  return summary;
}

export const reconciliationAudit: Job = {
  name: AUDIT_JOB,
  description: 'Finds what should have happened by the date and did not (renewals, reconciliations, expiries, trial ends), broken associations and billing-account drift; resolves what no longer holds.',
  run: (context) => runReconciliationAudit(context),
};
