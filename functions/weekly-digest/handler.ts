/** The weekly digest (Mondays 06:00 UTC), run by its schedule or by POST /v1/jobs/weekly-digest/runs: see shared/error-log/digest-job.ts. */
import { weeklyDigest } from '../../shared/error-log/digest-job.js';
import { jobFunction } from '../../shared/jobs/run.js';

export const handler = jobFunction(weeklyDigest);
