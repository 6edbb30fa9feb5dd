/** The reconciliation audit's schedule (05:00 UTC daily): see shared/audit/run.ts. */
import { runScheduled } from '../../shared/jobs/run.js';

export const handler = async (event: unknown): Promise<Record<string, unknown>> => runScheduled('reconciliation-audit', event);
