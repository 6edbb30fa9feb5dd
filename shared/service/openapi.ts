/**
 * The API as OpenAPI 3.1, generated from the manifest's routes and the zod schemas: the contract
 * callers read is the one the handlers enforce.
 */
import * as z from '../platform/zod.js';
import { commandSpecs } from '../lifecycle/specs.js';
import { namespaceState } from '../lifecycle/schemas.js';
import { errorBody } from '../platform/schemas.js';
import { httpRoutes } from './manifest.js';
import { errorLogRouteDocs } from '../error-log/route-docs.js';
import { billingAccountRouteDocs } from '../billing-accounts/route-docs.js';
import { flagRouteDocs } from '../flags/route-docs.js';
import { operatorRouteDocs } from '../operator/route-docs.js';
import { reassociationBody, reassociationReport, reassociationResult } from '../reassociation/schemas.js';

interface RouteDoc {
  summary: string;
  body?: z.ZodMiniType;
  /** What a 200 carries; absent for a route that never answers 200. */
  response?: z.ZodMiniType;
  dryRun?: boolean;
  /** The 200 answer's media type when it is not JSON (the admin page's files). */
  contentType?: string;
}

const history = z.object({
  subscriptionId: z.string(),
  namespaceId: z.number(),
  items: z.array(z.object({ eventId: z.string(), type: z.string(), actor: z.string(), before: z.nullable(namespaceState), after: namespaceState })),
  nextCursor: z.nullable(z.string()),
});

const command = (type: keyof typeof commandSpecs): RouteDoc => ({
  summary: commandSpecs[type].detailType,
  body: commandSpecs[type].body,
  response: namespaceState,
  dryRun: true,
});

/** Every HTTP route of the manifest must be documented here; a test checks it. */
export const routeDocs: Record<string, RouteDoc> = {
  ...flagRouteDocs,
  ...billingAccountRouteDocs,
  ...errorLogRouteDocs,
  ...operatorRouteDocs,
  'POST /v1/subscriptions': command('created'),
  'POST /v1/subscriptions/{subscriptionId}/renewals': command('renewed'),
  'POST /v1/subscriptions/{subscriptionId}/entitlements': command('entitlementsUpdated'),
  'POST /v1/subscriptions/{subscriptionId}/expiry': command('expired'),
  'POST /v1/namespaces/{namespaceId}/trials': command('trialStarted'),
  'POST /v1/namespaces/{namespaceId}/trials/end': command('trialEnded'),
  'PUT /v1/namespaces/{namespaceId}/seat-usage': command('seatUsageReported'),
  'GET /v1/namespaces/{namespaceId}/subscription': { summary: "A namespace's subscription state", response: namespaceState },
  'GET /v1/subscriptions/{subscriptionId}': {
    summary: 'A subscription and the state of its namespace',
    response: z.object({ subscriptionId: z.string(), namespaceId: z.number(), associatedAt: z.string(), state: namespaceState }),
  },
  'GET /v1/subscriptions/{subscriptionId}/history': { summary: "A subscription's history, newest first", response: history },
  'POST /v1/subscriptions/{subscriptionId}/reassociations': {
    summary: 'Force reassociation (operators): move a subscription and its term to another namespace; 409 subscription_expired, already_associated, target_has_subscription',
    body: reassociationBody,
    response: reassociationResult,
    dryRun: true,
  },
  'GET /v1/reassociations': {
    summary: 'Reassociations of a date range (operators), newest first, with counts by reason and ISO week; query from, to, limit, cursor',
    response: reassociationReport,
  },
  'GET /openapi.json': { summary: 'This document', response: z.looseObject({ openapi: z.string() }) },
};

const schema = (type: z.ZodMiniType) => z.toJSONSchema(type, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

export function buildOpenApi(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of httpRoutes()) {
    const key = `${route.method} ${route.path}`;
    const doc = routeDocs[key];
    if (!doc) throw new Error(`route ${key} has no entry in routeDocs`);
    const parameters = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: name === 'namespaceId' ? 'integer' : 'string' } }));
    if (doc.dryRun) parameters.push({ name: 'dryRun', in: 'query', required: false, schema: { type: 'boolean' } } as never);
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      summary: doc.summary,
      operationId: `${route.fn.name}:${route.method.toLowerCase()}`,
      // A public route takes no credentials (OpenAPI: an empty security requirement list).
      security: route.auth === 'public' ? [] : [{ [route.auth]: [] }],
      parameters,
      ...(doc.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema(doc.body) } } } } : {}),
      responses: {
        ...(doc.response && { 200: { description: 'OK', content: { [doc.contentType ?? 'application/json']: { schema: schema(doc.response) } } } }),
        400: errorResponse('Invalid input: validation_failed names each bad field; malformed_json'),
        ...(route.auth === 'public'
          ? {}
          : { 401: errorResponse('Missing or wrong credentials'), 403: errorResponse('Operator route called with service credentials') }),
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
        operator: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A JWT in AWS; the operator token locally' },
        webhook: { type: 'apiKey', in: 'header', name: 'X-Gitlab-Token', description: "GitLab's webhook secret token" },
      },
    },
  };
}
