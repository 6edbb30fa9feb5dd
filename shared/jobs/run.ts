/**
 * A job's function. Its schedule (an EventBridge `Scheduled Event`) and its operator route
 * (`POST /v1/jobs/<job>/runs`) run the job in the same function, which loads only that job's code
 * and has only that job's permissions, memory and timeout.
 */
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { isHttpEvent, parseBody, parseWith, recordedActor } from '../platform/http/handler.js';
import { operatorHandler } from '../platform/http/operator-token.js';
import type { Job } from './job.js';
import { runScheduled } from './scheduled.js';
import { jobRunBody } from './schemas.js';
import { noQuery } from '../platform/http/query.js';

/** The handler of `job`'s function: an operator's run (HTTP) or its schedule's. */
export function jobFunction(job: Job) {
  const onHttp = operatorHandler(
    async (event, { actor, log }) => {
      parseWith(noQuery, event.queryStringParameters ?? {}, 'query');
      const input = event.body === undefined || event.body === '' ? {} : parseBody(event, jobRunBody);
      const asOf = input.asOf ?? new Date().toISOString().slice(0, 10);
      const summary = await job.run({ asOf, trigger: 'manual', actor: recordedActor(actor), log: log.createChild({ persistentKeys: { job: job.name, asOf } }) });
      log.info('job run', { job: job.name, asOf, actor: actor.id, status: summary.status });
      return { body: summary };
    },
  );

  return async (event: unknown, context: Context): Promise<APIGatewayProxyStructuredResultV2 | Record<string, unknown>> =>
    isHttpEvent(event) ? onHttp(event, context) : runScheduled(job, event);
}
