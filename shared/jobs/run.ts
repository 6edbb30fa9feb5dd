/**
 * A job's function. Its schedule (an EventBridge `Scheduled Event`) and its operator route
 * (`POST /v1/jobs/<job>/runs`) run the job in the same function, which loads only that job's code
 * and has only that job's permissions, memory and timeout.
 */
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { httpHandler, isHttpEvent, operatorClaims, parseBody, parseWith, recordedActor } from '../platform/http/handler.js';
import type { Job } from './job.js';
import { runScheduled } from './scheduled.js';
import { jobRunBody } from './schemas.js';
import { noQuery } from '../platform/http/query.js';

/** The handler of `job`'s function: an operator's run (HTTP) or its schedule's. */
export function jobFunction(job: Job) {
  // The operator's claims are the gateway's (its JWT authorizer checked the token and the admin
  // scope), not verified again here as the other operator functions do (operator-token.ts): whoever
  // could forge a direct invoke of this function could as well send it its schedule's event, which
  // no token guards, so a second check would protect nothing — and jose (18 KB) would put the job
  // functions over the 150 KB bundle budget. The route's role is still checked.
  const onHttp = httpHandler(
    async (event, { actor, log }) => {
      parseWith(noQuery, event.queryStringParameters ?? {}, 'query');
      const input = event.body === undefined || event.body === '' ? {} : parseBody(event, jobRunBody);
      const asOf = input.asOf ?? new Date().toISOString().slice(0, 10);
      const summary = await job.run({ asOf, trigger: 'manual', actor: recordedActor(actor), log: log.createChild({ persistentKeys: { job: job.name, asOf } }) });
      log.info('job run', { job: job.name, asOf, actor: actor.id, status: summary.status });
      return { body: summary };
    },
    { requireOperator: true, verifyOperator: async (event) => operatorClaims(event) },
  );

  return async (event: unknown, context: Context): Promise<APIGatewayProxyStructuredResultV2 | Record<string, unknown>> =>
    isHttpEvent(event) ? onHttp(event, context) : runScheduled(job, event);
}
