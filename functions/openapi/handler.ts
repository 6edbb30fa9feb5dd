import { httpHandler } from '../../shared/http/handler.js';
import { buildOpenApi } from '../../shared/openapi.js';

let document: Record<string, unknown> | undefined;

export const handler = httpHandler(async () => ({ body: (document ??= buildOpenApi()) }));
