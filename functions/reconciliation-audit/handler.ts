/** The reconciliation audit's schedule (05:00 UTC daily): see shared/audit/run.ts. */
import { reconciliationAudit } from '../../shared/audit/job.js';
import { runScheduled } from '../../shared/jobs/scheduled.js';

export const handler = async (event: unknown): Promise<Record<string, unknown>> => runScheduled(reconciliationAudit, event);
