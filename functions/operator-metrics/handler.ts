/**
 * `GET /v1/operator/metrics` (operators): the metric counters of the process that answers
 * (shared/platform/metrics.ts). Locally every handler runs in one process, so these are the service's
 * counters since `npm start`; in AWS this container counts only what it handled itself, so the
 * CloudWatch dashboard is the source there.
 */
import { httpHandler, parseWith } from '../../shared/platform/http/handler.js';
import { metricsSnapshot } from '../../shared/platform/metrics.js';
import { noQuery } from '../../shared/platform/http/query.js';

export const handler = httpHandler(
  async (event) => {
    parseWith(noQuery, event.queryStringParameters ?? {}, 'query');
    return { body: metricsSnapshot() };
  },
  { requireOperator: true },
);
