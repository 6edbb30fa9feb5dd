/**
 * Running a registered job from its two triggers: an EventBridge schedule (a `Scheduled Event`) and
 * the operator route `POST /v1/jobs/{job}/runs`.
 */
import * as z from 'zod';
import { HttpError } from '../http/errors.js';
import { logger } from '../log.js';
import { findJob, jobNames } from './registry.js';
import type { JobContext } from './registry.js';

/** What an EventBridge schedule sends (source `aws.events`, detail-type `Scheduled Event`). */
export const scheduledEvent = z.object({
  id: z.string(),
  'detail-type': z.literal('Scheduled Event'),
  source: z.literal('aws.events'),
  time: z.iso.datetime({ offset: true }),
  resources: z.array(z.string()).default([]),
});

/** Runs `name` as its schedule does: for the day the schedule fired (UTC). */
export async function runScheduled(name: string, event: unknown): Promise<Record<string, unknown>> {
  const parsed = scheduledEvent.safeParse(event);
  if (!parsed.success) throw new Error(`${name} expects an EventBridge Scheduled Event: ${z.prettifyError(parsed.error)}`);
  const job = findJob(name);
  if (!job) throw new Error(`No job named ${name} in shared/jobs/registry.ts`);
  const log = logger.createChild({ persistentKeys: { job: name, eventBridgeId: parsed.data.id } });
  const context: JobContext = { asOf: new Date(parsed.data.time).toISOString().slice(0, 10), trigger: 'schedule', actor: 'schedule', log };
  const summary = await job.run(context);
  log.info('scheduled job finished', { summary });
  return summary;
}

/** Runs `name` for an operator; an unknown job is `404 not_found` naming the known ones. */
export async function runManually(name: string, input: Omit<JobContext, 'trigger'>): Promise<Record<string, unknown>> {
  const job = findJob(name);
  if (!job) throw new HttpError(404, 'not_found', `No job named "${name}": run one of ${jobNames().join(', ')}.`);
  return job.run({ ...input, trigger: 'manual' });
}
