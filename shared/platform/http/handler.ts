/**
 * The HTTP side of every handler: API Gateway HTTP API (v2) events in, the error contract of the
 * design out. A handler body parses and validates, calls domain code and returns `{ statusCode, body }`;
 * everything else (JSON, errors, request-scoped logging, the caller's identity) is here.
 */
import middy from '@middy/core';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from '../zod.js';
import type { Logger } from '@aws-lambda-powertools/logger';
import { logger } from '../log.js';
import { InvalidInputError } from '../errors.js';
import { reportServerFailure } from './report-failure.js';
import { cameThroughApi } from './api-origin.js';
import { DEFAULT_ROLE_SCOPES, OPERATOR_JWT_ENV, OPERATOR_ROLES, OPERATOR_ROUTES_ENV, OPERATOR_SCOPES_ENV, roleAllows, roleOfScopes } from '../operator-roles.js';
import type { OperatorRole } from '../operator-roles.js';
import {
  ForbiddenError,
  MalformedJsonError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  errorAnswer,
  validationFailed,
} from './errors.js';

/** The parts of an API Gateway HTTP API v2 event the service reads. */
export interface HttpEvent {
  version: '2.0';
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  headers: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined>;
  pathParameters?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded: boolean;
  requestContext: {
    requestId: string;
    routeKey: string;
    http: { method: string; path: string; sourceIp: string; userAgent?: string };
    /** The API that sent the event (API Gateway sets it; compared with HTTP_API_ID). */
    apiId?: string;
    authorizer?: {
      jwt?: { claims: Record<string, string | number | boolean | string[]>; scopes?: string[] | null };
      iam?: { userArn?: string | null; callerId?: string | null; principalOrgId?: string | null; [k: string]: unknown };
      lambda?: Record<string, unknown>;
    };
    [k: string]: unknown;
  };
}

export interface Actor {
  /** `webhook`: a third party on a webhook route (its shared secret is checked by the handler). */
  kind: 'service' | 'operator' | 'webhook';
  /** A stable id, never a name or an email: the JWT `sub` or the IAM principal's ARN. */
  id: string;
  /** Operators: the display name the token carries (`name`, else `preferred_username`; OPERATOR_NAME_CLAIM), when it has one. */
  name?: string;
  /** Operators: the highest role the token's scopes grant (shared/platform/operator-roles.ts). */
  role?: OperatorRole;
}

/**
 * Who is recorded on a change: the person, by their stable `sub`, with the token's display name
 * when it has one. Never the display name alone: a name is not unique and may be chosen by its holder.
 *
 * @example
 * recordedActor({ kind: 'operator', id: '00u1a2b3', name: 'Ada Lovelace' }) // 'Ada Lovelace (00u1a2b3)'
 * recordedActor({ kind: 'operator', id: 'local-operator' }) // 'local-operator'
 */
export const recordedActor = (actor: Actor): string => (actor.name ? `${actor.name} (${actor.id})` : actor.id);

export interface HttpResult {
  statusCode?: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface RequestScope {
  log: Logger;
  actor: Actor;
  requestId: string;
  context: Context;
}

export const MAX_BODY_BYTES = 256 * 1024;

/**
 * Who is calling: set by the API Gateway authorizer in AWS, by the local runtime's token check
 * locally. `claims` are the operator's verified claims when the handler verified the JWT itself.
 */
export function actorOf(event: HttpEvent, claims: OperatorClaims | undefined = operatorClaims(event)): Actor {
  if (!cameThroughApi(event.requestContext)) {
    throw new UnauthorizedError('This request did not come through the API: call the API with the service or operator credentials.');
  }
  const authorizer = event.requestContext.authorizer;
  const sub = claims?.sub;
  if (typeof sub === 'string' && sub) {
    const name = displayName(claims!);
    const role = roleOfScopes(claims!.scope ?? claims!.scp, roleScopes());
    return { kind: 'operator', id: sub, ...(name && { name }), ...(role && { role }) };
  }
  const arn = authorizer?.iam?.userArn ?? authorizer?.iam?.callerId;
  if (typeof arn === 'string' && arn) return { kind: 'service', id: arn };
  throw new UnauthorizedError('Missing credentials: call with the service or operator credentials.');
}

export type OperatorClaims = Record<string, unknown>;

/**
 * The operator's JWT claims as the authorizer passed them. In AWS the handler verifies the token
 * itself (./operator-token.ts) and uses the verified claims instead; locally the runtime is the
 * authorizer and these are its claims.
 */
export function operatorClaims(event: HttpEvent): OperatorClaims | undefined {
  return event.requestContext.authorizer?.jwt?.claims;
}

/** The first display-name claim the token carries, as plain text of at most 100 characters. */
function displayName(claims: OperatorClaims): string | undefined {
  const names = (process.env[OPERATOR_JWT_ENV.nameClaim] || 'name,preferred_username').split(',');
  for (const key of names) {
    const value = claims[key.trim()];
    if (typeof value !== 'string') continue;
    // eslint-disable-next-line no-control-regex
    const clean = value.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '').trim().slice(0, 100);
    if (clean) return clean;
  }
  return undefined;
}

let scopesCache: { raw: string | undefined; scopes: Record<OperatorRole, string> } | undefined;
/** The scope of each role: the defaults, or OPERATOR_SCOPES (JSON) as the stack configured them. */
function roleScopes(): Record<OperatorRole, string> {
  const raw = process.env[OPERATOR_SCOPES_ENV];
  if (!scopesCache || scopesCache.raw !== raw) scopesCache = { raw, scopes: raw ? { ...DEFAULT_ROLE_SCOPES, ...(JSON.parse(raw) as Partial<Record<OperatorRole, string>>) } : { ...DEFAULT_ROLE_SCOPES } };
  return scopesCache!.scopes;
}

let routesCache: { raw: string | undefined; roles: Record<string, OperatorRole> | undefined } | undefined;
/**
 * The least role each operator route of this function needs (OPERATOR_ROUTES: `{ routeKey: role }`,
 * from the manifest, set by the stack and the local runtime). Undefined without the variable (a
 * unit test calling a handler directly): then no role is checked.
 */
function routeRoles(): Record<string, OperatorRole> | undefined {
  const raw = process.env[OPERATOR_ROUTES_ENV];
  if (!routesCache || routesCache.raw !== raw) {
    const parsed = raw ? (JSON.parse(raw) as Record<string, string>) : undefined;
    if (parsed && !Object.values(parsed).every((r) => (OPERATOR_ROLES as readonly string[]).includes(r))) throw new Error(`${OPERATOR_ROUTES_ENV} names an unknown role`);
    routesCache = { raw, roles: parsed as Record<string, OperatorRole> | undefined };
  }
  return routesCache!.roles;
}

/**
 * Checks an operator's role against the route's (defence in depth: API Gateway already required the
 * route's scopes in AWS; the local runtime checked the token's role). 403 names the role needed.
 */
export function checkRole(actor: Actor, routeKey: string): void {
  const roles = routeRoles();
  if (!roles || actor.kind !== 'operator') return;
  const needs = roles[routeKey];
  if (!needs) throw new ForbiddenError(`${routeKey} is not an operator route: operators use the operator routes.`);
  if (!actor.role || !roleAllows(actor.role, needs)) {
    throw new ForbiddenError(`${routeKey} needs the ${needs} role or higher; your token grants ${actor.role ? `the ${actor.role} role` : 'no operator role'}.`);
  }
}

/** An API Gateway (HTTP API) event, as opposed to an EventBridge one: for functions with both triggers. */
export function isHttpEvent(event: unknown): event is HttpEvent {
  return typeof event === 'object' && event !== null && 'requestContext' in event && 'routeKey' in event;
}

/** Parses the JSON body and validates it with `schema`: 413, 415 and 400 answers as the design says. */
export function parseBody<S extends z.ZodMiniType>(event: HttpEvent, schema: S): z.output<S> {
  const raw = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(MAX_BODY_BYTES);
  }
  const contentType = headerOf(event, 'content-type');
  if (raw !== '' && contentType && !/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new UnsupportedMediaTypeError(contentType);
  }
  let value: unknown;
  try {
    value = raw === '' ? undefined : JSON.parse(raw);
  } catch (error) {
    throw new MalformedJsonError({ cause: error });
  }
  if (value === undefined) throw new InvalidInputError('A JSON body is required.', [{ field: 'body', message: 'Required' }]);
  return parseWith(schema, value, 'body');
}

export function parseWith<S extends z.ZodMiniType>(schema: S, value: unknown, where: 'body' | 'path' | 'query' | 'detail'): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailed(result.error, where);
  return result.data;
}

export function headerOf(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } as const;

function respond(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/**
 * Called for every server-side failure (5xx), never for a 4xx. The default publishes
 * `Provisioning Failed` so that the failure reaches the error log (shared/platform/http/report-failure.ts).
 */
export type ServerFailureHook = (
  error: unknown,
  event: HttpEvent,
  scope: { requestId: string; log: Logger; code: string; functionName?: string },
) => Promise<void>;

type ScopedContext = Context & { provisioningScope?: RequestScope };

/** Creates the request scope: a child logger carrying the request id, and the caller's identity. */
function requestScope(requireOperator: boolean, webhook?: string, verifyOperator?: OperatorVerifier): MiddlewareObj<HttpEvent, APIGatewayProxyStructuredResultV2, Error, ScopedContext> {
  return {
    before: async (request) => {
      const requestId = request.event.requestContext?.requestId ?? request.context.awsRequestId;
      const log = logger.createChild({ persistentKeys: { requestId, route: request.event.routeKey } });
      const scope: RequestScope = { log, actor: { kind: 'service', id: 'anonymous' }, requestId, context: request.context };
      request.context.provisioningScope = scope;
      // A webhook route has no caller identity: its handler checks the shared secret itself.
      if (webhook) {
        scope.actor = { kind: 'webhook', id: `webhook:${webhook}` };
        return;
      }
      scope.actor = actorOf(request.event, await (verifyOperator ? verifyOperator(request.event, log) : unverifiedClaims(request.event)));
      if (requireOperator && scope.actor.kind !== 'operator') {
        throw new ForbiddenError('This route is for operators: call it with operator credentials.');
      }
      checkRole(scope.actor, request.event.routeKey);
    },
  };
}

/** Verifies an operator's JWT and answers its claims (./operator-token.ts, for operator functions only). */
export type OperatorVerifier = (event: HttpEvent, log: Logger) => Promise<OperatorClaims | undefined>;

/**
 * The claims of a function that does not verify operator tokens: where the stack configured an
 * issuer (in AWS), such a function believes no JWT claims at all (fails closed).
 */
async function unverifiedClaims(event: HttpEvent): Promise<OperatorClaims | undefined> {
  const claims = operatorClaims(event);
  if (claims && process.env[OPERATOR_JWT_ENV.issuer]) throw new UnauthorizedError('This function does not take operator tokens.');
  return claims;
}

/** Answers every thrown error with the error contract, by the one table (./errors.ts); a 5xx never shows internals. */
function errorContract(onServerFailure?: ServerFailureHook): MiddlewareObj<HttpEvent, APIGatewayProxyStructuredResultV2, Error, ScopedContext> {
  return {
    onError: async (request) => {
      const error = request.error;
      const scope = request.context.provisioningScope;
      const log = scope?.log ?? logger;
      const answer = errorAnswer(error);
      if (answer.statusCode >= 500) {
        log.error('request failed', { code: answer.code, error: error as Error });
        if (onServerFailure) {
          const requestId = scope?.requestId ?? request.event.requestContext.requestId;
          const functionName = request.context.functionName;
          await onServerFailure(error, request.event, { requestId, log, code: answer.code, functionName }).catch((hookError: unknown) =>
            log.error('could not record the failure', { error: hookError as Error }),
          );
        }
      } else {
        log.info('request refused', { statusCode: answer.statusCode, code: answer.code });
      }
      request.response = respond(answer.statusCode, answer.body, answer.headers);
    },
  };
}

/**
 * Builds a middy handler for API Gateway HTTP API routes.
 *
 * @example
 * export const handler = httpHandler(async (event, { actor }) => {
 *   const body = parseBody(event, schema);
 *   return { body: await doIt(body, actor) };
 * });
 */
export function httpHandler(
  fn: (event: HttpEvent, scope: RequestScope) => Promise<HttpResult>,
  options: { onServerFailure?: ServerFailureHook; requireOperator?: boolean; webhook?: string; verifyOperator?: OperatorVerifier } = {},
) {
  return middy<HttpEvent, APIGatewayProxyStructuredResultV2, Error, ScopedContext>()
    .use(errorContract(options.onServerFailure ?? reportServerFailure))
    .use(requestScope(options.requireOperator ?? false, options.webhook, options.verifyOperator))
    .handler(async (event, context) => {
      const result = await fn(event, context.provisioningScope!);
      return respond(result.statusCode ?? 200, result.body, result.headers);
    });
}
