/**
 * The scheduled jobs the service runs, by name. Each is a function of its own (functions/<job>/,
 * shared/jobs/run.ts), run by its schedule and by operators with `POST /v1/jobs/<job>/runs`. Adding
 * a job is an entry here, its name in shared/jobs/names.ts, and a manifest entry with both triggers.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { reconciliationAudit } from '../audit/job.js';
import { dailyDigest, weeklyDigest } from '../error-log/digest-job.js';

export interface JobContext {
  /** The day the run is for (`YYYY-MM-DD`, UTC): the schedule's day, or the operator's `asOf`. */
  asOf: string;
  trigger: 'schedule' | 'manual';
  /** Who started it: `schedule` or the operator's id. */
  actor: string;
  log: Logger;
}

export interface Job {
  readonly name: string;
  readonly description: string;
  /** Runs the job; answers its summary (JSON). Running it twice for the same `asOf` repeats nothing. */
  run(context: JobContext): Promise<Record<string, unknown>>;
}

export const jobs: Readonly<Record<string, Job>> = Object.fromEntries([dailyDigest, weeklyDigest, reconciliationAudit].map((job) => [job.name, job]));

export const jobNames = (): string[] => Object.keys(jobs).sort();

export function findJob(name: string): Job | undefined {
  return Object.hasOwn(jobs, name) ? jobs[name] : undefined;
}
