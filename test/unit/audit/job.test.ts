/**
 * The audit as a registry job: the time budget per trigger, and what a schedule does with a run
 * that did not finish (fails, so the invocation's retry resumes it). The store is an in-memory
 * stand-in with nothing due.
 */
import { describe, expect, it, vi } from 'vitest';
import { AuditIncompleteError, MANUAL_BUDGET_MS, reconciliationAudit, runReconciliationAudit } from '../../../shared/audit/job.js';
import { JOB_NAMES } from '../../../shared/jobs/names.js';
import type { AuditDeps } from '../../../shared/audit/run.js';
import { CapacityCounter, emptyCounts } from '../../../shared/audit/store.js';
import type { AuditRun, AuditStore } from '../../../shared/audit/store.js';
import { logger } from '../../../shared/platform/log.js';

function stubStore() {
  const checkpoints: Array<{ phase: string; cursor: string | null }> = [];
  const store = {
    capacity: new CapacityCounter(),
    latest: async () => null,
    beginRun: async (input: { asOf: string; runId: string; now: string; leaseUntil: string; window: AuditRun['window'] }) => ({
      kind: 'started' as const,
      run: { ...input, pass: 1, status: 'running', trigger: 'x', actor: 'x', startedAt: input.now, updatedAt: input.now, completedAt: null, invocations: 1, phase: 'renewal', cursor: null, counts: emptyCounts(), confirmed: [], summary: null } satisfies AuditRun,
    }),
    unresolvedAuditRecords: async () => [],
    dueKeys: async () => ({ keys: [], next: undefined }),
    changedKeys: async () => ({ keys: [], next: undefined }),
    stateItems: async () => new Map(),
    checkpoint: vi.fn(async (_run: AuditRun, progress: { phase: string; cursor: string | null }) => void checkpoints.push({ phase: progress.phase, cursor: progress.cursor })),
    complete: vi.fn(async () => undefined),
    releaseLease: vi.fn(async () => undefined),
  };
  return { store, checkpoints };
}

const deps = (store: unknown, now: () => Date): AuditDeps => ({
  store: store as AuditStore,
  publish: async () => undefined,
  resolve: async () => 'skipped',
  metrics: { lagHours: vi.fn(), completed: vi.fn(), findings: vi.fn() },
  now,
  log: logger,
});

describe('Job: reconciliation-audit', () => {
  it('is the job named reconciliation-audit, which its route and its schedule run', () => {
    expect(reconciliationAudit.name).toBe('reconciliation-audit');
    expect(JOB_NAMES).toContain(reconciliationAudit.name);
    expect(reconciliationAudit.description).toMatch(/renewals, reconciliations, expiries, trial ends/);
  });

  it('completes a run with nothing due and counts it', async () => {
    const { store } = stubStore();
    const d = deps(store, () => new Date('2026-12-01T05:00:00Z'));
    const summary = await runReconciliationAudit({ asOf: '2026-12-01', trigger: 'schedule', actor: 'schedule', log: logger }, d);
    expect(summary).toMatchObject({ status: 'completed', total: 0, findings: { renewal_not_processed: 0 } });
    expect(store.complete).toHaveBeenCalledTimes(1);
    expect(d.metrics.completed).toHaveBeenCalledTimes(1);
    expect(d.metrics.findings).toHaveBeenCalledWith('broken_association', 0);
  });

  it('answers an operator partial when its 20 s are used up, and records where it stopped', async () => {
    const { store, checkpoints } = stubStore();
    let t = Date.parse('2026-12-01T10:00:00Z');
    const summary = await runReconciliationAudit({ asOf: '2026-12-01', trigger: 'manual', actor: 'op', log: logger }, deps(store, () => new Date((t += MANUAL_BUDGET_MS))));
    expect(summary).toMatchObject({ status: 'partial', phase: 'renewal', phasesLeft: ['renewal', 'reconciliation', 'expiry', 'trialEnd', 'changed', 'resolve'] });
    expect(checkpoints).toEqual([{ phase: 'renewal', cursor: JSON.stringify({ shard: 1 }) }]);
    expect(store.releaseLease).toHaveBeenCalledTimes(1);
    expect(store.complete).not.toHaveBeenCalled();
  });

  it('fails a scheduled run that did not finish, so the retry resumes it', async () => {
    const { store } = stubStore();
    let t = Date.parse('2026-12-01T05:00:00Z');
    await expect(
      runReconciliationAudit({ asOf: '2026-12-01', trigger: 'schedule', actor: 'schedule', log: logger }, deps(store, () => new Date((t += 13 * 60_000)))),
    ).rejects.toThrow(AuditIncompleteError);
  });

  it('refuses a date that is not one', async () => {
    const { store } = stubStore();
    await expect(runReconciliationAudit({ asOf: '2026-02-30', trigger: 'manual', actor: 'op', log: logger }, deps(store, () => new Date()))).rejects.toThrow();
  });
});
