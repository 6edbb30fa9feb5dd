/** `POST /v1/jobs/{job}/runs`: runs a registered job now (shared/jobs/registry.ts), answers its summary. */
import * as z from '../../shared/zod.js';
import { isoDate } from '../../shared/commands/schemas.js';
import { httpHandler, parseBody, parseWith } from '../../shared/http/handler.js';
import { runManually } from '../../shared/jobs/run.js';

const path = z.strictObject({ job: z.string().check(z.regex(/^[a-z][a-z0-9-]{0,63}$/, 'a job name such as daily-digest')) });
const body = z.strictObject({ asOf: z.optional(isoDate).check(z.describe('The day to run for (UTC); today when omitted')) });

export const handler = httpHandler(
  async (event, { actor, log }) => {
    const { job } = parseWith(path, event.pathParameters ?? {}, 'path');
    const input = event.body === undefined || event.body === '' ? {} : parseBody(event, body);
    const asOf = input.asOf ?? new Date().toISOString().slice(0, 10);
    const summary = await runManually(job, { asOf, actor: actor.id, log: log.createChild({ persistentKeys: { job, asOf } }) });
    log.info('job run', { job, asOf, actor: actor.id, status: summary.status });
    return { body: summary };
  },
  { requireOperator: true },
);
