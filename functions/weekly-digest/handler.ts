/** The weekly digest's schedule (Mondays 06:00 UTC): see shared/jobs/digest.ts. */
import { weeklyDigest } from '../../shared/jobs/digest.js';
import { runScheduled } from '../../shared/jobs/scheduled.js';

export const handler = async (event: unknown): Promise<Record<string, unknown>> => runScheduled(weeklyDigest, event);
