/**
 * `POST /v1/jobs/{job}/runs` for a job that does not exist. Each job has its own route on its own
 * function (shared/jobs/run.ts), which API Gateway prefers to this one; this function only names the
 * jobs there are, and loads none of them.
 */
import * as z from '../../shared/platform/zod.js';
import { NotFoundError } from '../../shared/platform/errors.js';
import { parseWith } from '../../shared/platform/http/handler.js';
import { operatorHandler } from '../../shared/platform/http/operator-token.js';
import { JOB_NAMES, jobRunPath } from '../../shared/jobs/names.js';
import { noQuery } from '../../shared/platform/http/query.js';

const path = z.strictObject({ job: z.string().check(z.regex(/^[a-z][a-z0-9-]{0,63}$/, 'a job name such as daily-digest')) });

export const handler = operatorHandler(
  async (event) => {
    const { job } = parseWith(path, event.pathParameters ?? {}, 'path');
    parseWith(noQuery, event.queryStringParameters ?? {}, 'query');
    if ((JOB_NAMES as readonly string[]).includes(job)) {
      // API Gateway (and the local router) route a known job to its own function: this is a stack fault.
      throw new Error(`POST /v1/jobs/{job}/runs received the job ${job}, whose route ${jobRunPath(job)} is its own function's: check the API's routes`);
    }
    throw new NotFoundError(`No job named "${job}": run one of ${[...JOB_NAMES].sort().join(', ')}.`);
  },
);
