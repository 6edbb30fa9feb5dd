/**
 * The daily reconciliation audit (shared/audit/): scheduled here, and run by operators with
 * `POST /v1/jobs/reconciliation-audit/runs` in the same function (shared/jobs/run.ts).
 */
import { jobRunTrigger } from '../jobs/index.js';
import { AUDIT_FINDING } from '../platform/failure-events.js';
import { SERVICE_SOURCE } from '../platform/manifest-types.js';
import type { FunctionSpec } from '../platform/manifest-types.js';

export const auditFunctions: readonly FunctionSpec[] = [
  {
    name: 'reconciliation-audit',
    description:
      'Every day at 05:00 UTC: finds renewals, reconciliations, expiries and trial ends that should have happened and did not, broken associations and billing-account drift; reports them to the error log and resolves what no longer holds.',
    entry: 'functions/reconciliation-audit/handler.ts',
    triggers: [
      { kind: 'schedule', cron: 'cron(0 5 * * ? *)' },
      jobRunTrigger(
        'reconciliation-audit',
        'Runs the reconciliation audit now for asOf (operators): findings by code, new, resolved and items examined; status "partial" when its 20 s budget ran out (call again with the same asOf to resume); 409 audit_in_progress while another run holds it',
      ),
    ],
    // state: the due and changed indexes, the run items; errors: the unresolved audit records and their resolution.
    tables: { state: 'readWrite', errors: 'readWrite' },
    publishes: [{ source: SERVICE_SOURCE, detailTypes: [AUDIT_FINDING] }],
    // A scheduled run stops itself after 12 minutes (shared/audit/job.ts) and resumes on the retry;
    // an operator's run after 20 s (API Gateway answers 503 after 30 s) and resumes on the next call.
    timeoutSeconds: 900,
    memoryMb: 512,
  },
];
