/**
 * The admin page's reads (operators): `GET /v1/operator/namespaces/{namespaceId}` answers the state
 * and a page of its history (newest first, whole state before and after each change);
 * `GET /v1/operator/subscriptions/{subscriptionId}` answers which namespace holds a subscription.
 * The service's own read routes are IAM-authorized in AWS, which a browser cannot sign.
 */
import { namespacePath, subscriptionPath } from '../../shared/platform/schemas.js';
import { NotFoundError } from '../../shared/platform/errors.js';
import { parseWith } from '../../shared/platform/http/handler.js';
import { operatorHandler } from '../../shared/platform/http/operator-token.js';
import { namespaceViewQuery } from '../../shared/operator/schemas.js';
import { getPointer, getState, listHistory } from '../../shared/lifecycle/store.js';
import { noQuery } from '../../shared/platform/http/query.js';

const HISTORY_PAGE = 20;

export const handler = operatorHandler(
  async (event, { log }) => {
    switch (event.routeKey) {
      case 'GET /v1/operator/namespaces/{namespaceId}': {
        const { namespaceId } = parseWith(namespacePath, event.pathParameters ?? {}, 'path');
        const query = parseWith(namespaceViewQuery, event.queryStringParameters ?? {}, 'query');
        // Consistent: an operator who just changed something sees it.
        const state = await getState(namespaceId, true);
        if (!state) throw new NotFoundError(`Namespace ${namespaceId} has no subscription state yet: no change was ever applied to it.`);
        const history = await listHistory(namespaceId, { limit: query.limit ?? HISTORY_PAGE, cursor: query.cursor });
        log.info('namespace read', { namespaceId, entries: history.items.length });
        return { body: { namespaceId, state, history } };
      }
      case 'GET /v1/operator/subscriptions/{subscriptionId}': {
        const { subscriptionId } = parseWith(subscriptionPath, event.pathParameters ?? {}, 'path');
        parseWith(noQuery, event.queryStringParameters ?? {}, 'query');
        const pointer = await getPointer(subscriptionId);
        if (!pointer) throw new NotFoundError(`Subscription ${subscriptionId} is not associated with any namespace: check the id, or look the namespace up by its id.`);
        return { body: { subscriptionId, namespaceId: pointer.namespaceId, associatedAt: pointer.associatedAt } };
      }
      default:
        throw new NotFoundError(`No route ${event.routeKey}.`);
    }
  },
);
