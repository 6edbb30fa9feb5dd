import * as z from '../../shared/zod.js';
import { httpHandler, parseWith } from '../../shared/http/handler.js';
import { buildOpenApi } from '../../shared/openapi.js';

let document: Record<string, unknown> | undefined;
const noQuery = z.strictObject({});

export const handler = httpHandler(async (event) => {
  parseWith(noQuery, event.queryStringParameters ?? {}, 'query');
  return { body: (document ??= buildOpenApi()) };
});
