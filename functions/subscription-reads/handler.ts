import * as z from '../../shared/platform/zod.js';
import { NotFoundError } from '../../shared/platform/errors.js';
import { httpHandler, parseWith } from '../../shared/platform/http/handler.js';
import type { HttpEvent } from '../../shared/platform/http/handler.js';
import { namespacePath, pageLimit, subscriptionPath } from '../../shared/platform/schemas.js';
import { getPointer, getState, listHistory } from '../../shared/lifecycle/store.js';
import { noQuery } from '../../shared/platform/http/query.js';

const historyQuery = z.strictObject({
  limit: pageLimit(100),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
});

async function subscriptionState(event: HttpEvent) {
  const { subscriptionId } = parseWith(subscriptionPath, event.pathParameters ?? {}, 'path');
  const pointer = await getPointer(subscriptionId);
  if (!pointer) throw new NotFoundError(`Subscription ${subscriptionId} is unknown.`);
  return { subscriptionId, pointer };
}

export const handler = httpHandler(async (event) => {
  switch (event.routeKey) {
    case 'GET /v1/namespaces/{namespaceId}/subscription': {
      const { namespaceId } = parseWith(namespacePath, event.pathParameters ?? {}, 'path');
      parseWith(noQuery, event.queryStringParameters ?? {}, 'query');
      const state = await getState(namespaceId, false);
      if (!state) throw new NotFoundError(`Namespace ${namespaceId} has no subscription state yet.`);
      return { body: state };
    }
    case 'GET /v1/subscriptions/{subscriptionId}': {
      parseWith(noQuery, event.queryStringParameters ?? {}, 'query');
      const { subscriptionId, pointer } = await subscriptionState(event);
      const state = await getState(pointer.namespaceId, false);
      if (!state) throw new NotFoundError(`Subscription ${subscriptionId} has no state.`);
      return { body: { subscriptionId, namespaceId: pointer.namespaceId, associatedAt: pointer.associatedAt, state } };
    }
    case 'GET /v1/subscriptions/{subscriptionId}/history': {
      const query = parseWith(historyQuery, event.queryStringParameters ?? {}, 'query');
      const { subscriptionId, pointer } = await subscriptionState(event);
      const page = await listHistory(pointer.namespaceId, { limit: query.limit ?? 50, cursor: query.cursor, subscriptionId });
      return { body: { subscriptionId, namespaceId: pointer.namespaceId, ...page } };
    }
    default:
      throw new NotFoundError(`No route ${event.routeKey}.`);
  }
});
