/** The weekly digest's schedule (Mondays 06:00 UTC): see shared/jobs/digest.ts. */
import { runScheduled } from '../../shared/jobs/run.js';

export const handler = async (event: unknown): Promise<Record<string, unknown>> => runScheduled('weekly-digest', event);
