/**
 * The API as OpenAPI 3.1, generated from the manifest alone: each route carries its doc (summary,
 * body and answer schemas, dryRun) where its feature declares it, so the contract callers read is
 * the one the handlers enforce.
 */
import { routeScopes } from '../platform/operator-roles.js';
import * as z from '../platform/zod.js';
import { errorBody } from '../platform/schemas.js';
import { httpRoutes } from './manifest.js';

const schema = (type: z.ZodMiniType) => z.toJSONSchema(type, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

export function buildOpenApi(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of httpRoutes()) {
    const { doc } = route;
    const parameters = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: name === 'namespaceId' ? 'integer' : 'string' } }));
    if (doc.dryRun) parameters.push({ name: 'dryRun', in: 'query', required: false, schema: { type: 'boolean' } } as never);
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      summary: doc.summary,
      operationId: `${route.fn.name}:${route.method.toLowerCase()}`,
      // A public route takes no credentials (OpenAPI: an empty security requirement list).
      // OpenAPI 3.1: a non-OAuth scheme's requirement may list role names: the scopes the route takes.
      security: route.auth === 'public' ? [] : [{ [route.auth]: route.auth === 'operator' ? routeScopes(route.role) : [] }],
      ...(route.auth === 'operator' && { 'x-operator-role': route.role }),
      parameters,
      ...(doc.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema(doc.body) } } } } : {}),
      responses: {
        ...(doc.response && { [doc.status ?? 200]: { description: doc.status === 202 ? 'Accepted' : 'OK', content: { [doc.contentType ?? 'application/json']: { schema: schema(doc.response) } } } }),
        400: errorResponse('Invalid input: validation_failed names each bad field; malformed_json'),
        ...(route.auth === 'public'
          ? {}
          : {
              401: errorResponse('Missing or wrong credentials'),
              403: errorResponse(route.auth === 'operator' ? `Needs the ${route.role} role or higher (not service credentials)` : 'Service route called with operator credentials'),
            }),
        404: errorResponse('Unknown subscription or namespace'),
        409: errorResponse('stale_event, idempotency_conflict, or a guard rail'),
        503: errorResponse('Database unavailable; retry after Retry-After'),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Provisioning Service', version: '1.0.0', description: 'Keeps namespaces in step with the subscriptions customers buy.' },
    paths,
    components: {
      schemas: { Error: schema(errorBody) },
      securitySchemes: {
        service: { type: 'http', scheme: 'bearer', description: 'IAM (SigV4) in AWS; the service token locally' },
        operator: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: "A JWT in AWS with the route's role scope (provisioning/read, provisioning/support, provisioning/admin by default); locally the viewer, support or operator (admin) token",
        },
        webhook: { type: 'apiKey', in: 'header', name: 'X-Gitlab-Token', description: "GitLab's webhook secret token" },
      },
    },
  };
}
