/**
 * What a job is. Each job is a function of its own (functions/<job>/handler.ts: `jobFunction(job)`,
 * shared/jobs/run.ts), run by its schedule and by operators with `POST /v1/jobs/<job>/runs`; the
 * job itself lives with its feature (the audit in shared/audit/job.ts, the digests in
 * shared/error-log/digest-job.ts). README "Adding a job" lists every place to touch.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { JobName } from './names.js';

export interface JobContext {
  /** The day the run is for (`YYYY-MM-DD`, UTC): the schedule's day, or the operator's `asOf`. */
  asOf: string;
  trigger: 'schedule' | 'manual';
  /** Who started it: `schedule` or the operator's id. */
  actor: string;
  log: Logger;
}

export interface Job {
  readonly name: JobName;
  readonly description: string;
  /** Runs the job; answers its summary (JSON). Running it twice for the same `asOf` repeats nothing. */
  run(context: JobContext): Promise<Record<string, unknown>>;
}
