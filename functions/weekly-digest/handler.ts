/** The weekly digest (Mondays 06:00 UTC), run by its schedule or by POST /v1/jobs/weekly-digest/runs: see shared/jobs/digest.ts. */
import { weeklyDigest } from '../../shared/jobs/digest.js';
import { jobFunction } from '../../shared/jobs/run.js';

export const handler = jobFunction(weeklyDigest);
