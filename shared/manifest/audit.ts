/**
 * The daily reconciliation audit (shared/audit/): scheduled here; operators also run it with
 * `POST /v1/jobs/reconciliation-audit/runs` (the `jobs` function, shared/manifest/error-log.ts).
 */
import type { FunctionSpec } from './types.js';

export const auditFunctions: readonly FunctionSpec[] = [
  {
    name: 'reconciliation-audit',
    description:
      'Every day at 05:00 UTC: finds renewals, reconciliations, expiries and trial ends that should have happened and did not, broken associations and billing-account drift; reports them to the error log and resolves what no longer holds.',
    entry: 'functions/reconciliation-audit/handler.ts',
    triggers: [{ kind: 'schedule', cron: 'cron(0 5 * * ? *)' }],
    // state: the due and changed indexes, the run items; errors: the unresolved audit records and their resolution.
    tables: { state: 'readWrite', errors: 'readWrite' },
    publishesEvents: true,
    // A run stops itself after 12 minutes (shared/audit/job.ts) and resumes on the retry.
    timeoutSeconds: 900,
    memoryMb: 512,
  },
];
