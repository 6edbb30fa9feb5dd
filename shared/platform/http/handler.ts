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
}

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

/** Who is calling: set by the API Gateway authorizer in AWS, by the local runtime's token check locally. */
export function actorOf(event: HttpEvent): Actor {
  if (!cameThroughApi(event.requestContext)) {
    throw new UnauthorizedError('This request did not come through the API: call the API with the service or operator credentials.');
  }
  const authorizer = event.requestContext.authorizer;
  const sub = operatorClaims(event)?.sub;
  if (typeof sub === 'string' && sub) return { kind: 'operator', id: sub };
  const arn = authorizer?.iam?.userArn ?? authorizer?.iam?.callerId;
  if (typeof arn === 'string' && arn) return { kind: 'service', id: arn };
  throw new UnauthorizedError('Missing credentials: call with the service or operator credentials.');
}

/**
 * The operator's JWT claims as the authorizer passed them. The seam for verifying the JWT itself in
 * the handler (jose: issuer, audience, RS256, max age; the operator roles' work): whatever an
 * operator is recorded or authorized as comes from here.
 */
export function operatorClaims(event: HttpEvent): Record<string, string | number | boolean | string[]> | undefined {
  return event.requestContext.authorizer?.jwt?.claims;
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
function requestScope(requireOperator: boolean, webhook?: string): MiddlewareObj<HttpEvent, APIGatewayProxyStructuredResultV2, Error, ScopedContext> {
  return {
    before: (request) => {
      const requestId = request.event.requestContext?.requestId ?? request.context.awsRequestId;
      const log = logger.createChild({ persistentKeys: { requestId, route: request.event.routeKey } });
      const scope: RequestScope = { log, actor: { kind: 'service', id: 'anonymous' }, requestId, context: request.context };
      request.context.provisioningScope = scope;
      // A webhook route has no caller identity: its handler checks the shared secret itself.
      scope.actor = webhook ? { kind: 'webhook', id: `webhook:${webhook}` } : actorOf(request.event);
      if (requireOperator && scope.actor.kind !== 'operator') {
        throw new ForbiddenError('This route is for operators: call it with operator credentials.');
      }
    },
  };
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
  options: { onServerFailure?: ServerFailureHook; requireOperator?: boolean; webhook?: string } = {},
) {
  return middy<HttpEvent, APIGatewayProxyStructuredResultV2, Error, ScopedContext>()
    .use(errorContract(options.onServerFailure ?? reportServerFailure))
    .use(requestScope(options.requireOperator ?? false, options.webhook))
    .handler(async (event, context) => {
      const result = await fn(event, context.provisioningScope!);
      return respond(result.statusCode ?? 200, result.body, result.headers);
    });
}
