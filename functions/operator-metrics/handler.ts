/**
 * `GET /v1/operator/me` (viewer): who the signed-in operator is and their role, so the admin page
 * shows only what that role may do (the routes refuse the rest anyway).
 *
 * `GET /v1/operator/metrics` (viewer): the metric counters of the process that answers
 * (shared/platform/metrics.ts): what this execution environment counted itself, in AWS and locally
 * alike (the local runtime runs every function isolated, as Lambda does). The service's metrics are
 * the CloudWatch dashboard's; locally, the EMF lines each function logs.
 */
import { ForbiddenError } from '../../shared/platform/http/errors.js';
import { parseWith } from '../../shared/platform/http/handler.js';
import { operatorHandler } from '../../shared/platform/http/operator-token.js';
import { metricsSnapshot } from '../../shared/platform/metrics.js';
import { noQuery } from '../../shared/platform/http/query.js';
import { NotFoundError } from '../../shared/platform/errors.js';

export const handler = operatorHandler(
  async (event, { actor }) => {
    parseWith(noQuery, event.queryStringParameters ?? {}, 'query');
    switch (event.routeKey) {
      case 'GET /v1/operator/me':
        if (!actor.role) throw new ForbiddenError('Your token grants no operator role.');
        return { body: { id: actor.id, ...(actor.name && { name: actor.name }), role: actor.role } };
      case 'GET /v1/operator/metrics':
        return { body: metricsSnapshot() };
      default:
        throw new NotFoundError(`No route ${event.routeKey}.`);
    }
  },
);
