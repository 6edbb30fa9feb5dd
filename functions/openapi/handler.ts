import { httpHandler, parseWith } from '../../shared/http/handler.js';
import { buildOpenApi } from '../../shared/openapi.js';
import { noQuery } from '../../shared/http/query.js';

let document: Record<string, unknown> | undefined;

export const handler = httpHandler(async (event) => {
  parseWith(noQuery, event.queryStringParameters ?? {}, 'query');
  return { body: (document ??= buildOpenApi()) };
});
