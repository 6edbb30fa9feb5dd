/**
 * Running one job from its EventBridge schedule (a `Scheduled Event`). The schedule's function
 * imports only its own job, so a job's bundle carries no other job's dependencies.
 */
import * as z from '../platform/zod.js';
import { logger } from '../platform/log.js';
import type { Job, JobContext } from './job.js';

/** What an EventBridge schedule sends (source `aws.events`, detail-type `Scheduled Event`). */
export const scheduledEvent = z.object({
  id: z.string(),
  'detail-type': z.literal('Scheduled Event'),
  source: z.literal('aws.events'),
  time: z.iso.datetime({ offset: true }),
  resources: z._default(z.array(z.string()), []),
});

/** Runs `name` as its schedule does: for the day the schedule fired (UTC). */
export async function runScheduled(job: Job, event: unknown): Promise<Record<string, unknown>> {
  const name = job.name;
  const parsed = scheduledEvent.safeParse(event);
  if (!parsed.success) throw new Error(`${name} expects an EventBridge Scheduled Event: ${z.prettifyError(parsed.error)}`);
  const log = logger.createChild({ persistentKeys: { job: name, eventBridgeId: parsed.data.id } });
  const context: JobContext = { asOf: new Date(parsed.data.time).toISOString().slice(0, 10), trigger: 'schedule', actor: 'schedule', log };
  const summary = await job.run(context);
  log.info('scheduled job finished', { summary });
  return summary;
}
