import { httpHandler, parseWith } from '../../shared/platform/http/handler.js';
import { ProcessDefault } from '../../shared/platform/process-default.js';
import { buildOpenApi } from '../../shared/service/openapi.js';
import { noQuery } from '../../shared/platform/http/query.js';

/** The document, built at the first request and kept for the process (it depends on nothing else). */
export const openApiDocument = new ProcessDefault(() => buildOpenApi());

export const handler = httpHandler(async (event) => {
  parseWith(noQuery, event.queryStringParameters ?? {}, 'query');
  return { body: openApiDocument.get() };
});
