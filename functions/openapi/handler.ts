import { httpHandler, parseWith } from '../../shared/platform/http/handler.js';
import { buildOpenApi } from '../../shared/service/openapi.js';
import { noQuery } from '../../shared/platform/http/query.js';

let document: Record<string, unknown> | undefined;

export const handler = httpHandler(async (event) => {
  parseWith(noQuery, event.queryStringParameters ?? {}, 'query');
  return { body: (document ??= buildOpenApi()) };
});
