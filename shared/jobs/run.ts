/**
 * Running a registered job for an operator (`POST /v1/jobs/{job}/runs`). Its schedule runs it
 * through shared/jobs/scheduled.ts, which does not load the other jobs.
 */
import { HttpError } from '../http/errors.js';
import { findJob, jobNames } from './registry.js';
import type { JobContext } from './registry.js';

export { runScheduled, scheduledEvent } from './scheduled.js';

/** Runs `name` for an operator; an unknown job is `404 not_found` naming the known ones. */
export async function runManually(name: string, input: Omit<JobContext, 'trigger'>): Promise<Record<string, unknown>> {
  const job = findJob(name);
  if (!job) throw new HttpError(404, 'not_found', `No job named "${name}": run one of ${jobNames().join(', ')}.`);
  return job.run({ ...input, trigger: 'manual' });
}
