/** The reconciliation audit (05:00 UTC daily), run by its schedule or by POST /v1/jobs/reconciliation-audit/runs: see shared/audit/run.ts. */
import { reconciliationAudit } from '../../shared/audit/job.js';
import { jobFunction } from '../../shared/jobs/run.js';

export const handler = jobFunction(reconciliationAudit);
