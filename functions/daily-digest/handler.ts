/** The daily digest's schedule (06:00 UTC): see shared/jobs/digest.ts. */
import { dailyDigest } from '../../shared/jobs/digest.js';
import { runScheduled } from '../../shared/jobs/scheduled.js';

export const handler = async (event: unknown): Promise<Record<string, unknown>> => runScheduled(dailyDigest, event);
