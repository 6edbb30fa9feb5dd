/**
 * The local API Gateway: turns each HTTP request into an HTTP API (v2) event, checks the bearer
 * token where API Gateway would check IAM or a JWT, invokes the manifest's handler and writes its
 * answer back.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthKind } from '../shared/service/manifest.js';
import { httpRoutes } from '../shared/service/manifest.js';
import type { LocalFunction } from './functions.js';
import { LOCAL_ACCOUNT } from './functions.js';
import { Router } from './router.js';
import { MAX_BODY_BYTES } from '../shared/platform/http/handler.js';
import { DEFAULT_ROLE_SCOPES } from '../shared/platform/operator-roles.js';
import type { OperatorRole } from '../shared/platform/operator-roles.js';

/** API Gateway's own payload limit; handlers enforce the service's smaller one (256 KB). */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

/** The local bearer tokens: `operator` is the admin's (PROVISIONING_OPERATOR_TOKEN), `support` and `viewer` the other roles'. */
export interface Tokens {
  service: string;
  operator: string;
  support: string;
  viewer: string;
}

export type TokenKind = keyof Tokens;

export interface RouteTarget {
  fn: LocalFunction;
  auth: AuthKind;
  /** An operator route's least role (the manifest's). */
  role?: OperatorRole;
}

export type Caller = { kind: 'service' } | { kind: 'operator'; role: OperatorRole };

/** Which role each operator token grants. */
const TOKEN_ROLES = { operator: 'admin', support: 'support', viewer: 'viewer' } as const satisfies Record<Exclude<TokenKind, 'service'>, OperatorRole>;

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compares a presented token with the expected ones in constant time. */
export function callerFor(authorization: string | undefined, tokens: Tokens): Caller | 'missing' | 'invalid' {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!authorization) return 'missing';
  if (!match) return 'invalid';
  const presented = digest(match[1]!);
  // Every comparison always runs, so timing says nothing about which token was close.
  let caller: Caller | 'invalid' = 'invalid';
  for (const kind of ['service', 'operator', 'support', 'viewer'] as const) {
    const equal = timingSafeEqual(presented, digest(tokens[kind]));
    if (equal && caller === 'invalid') caller = kind === 'service' ? { kind: 'service' } : { kind: 'operator', role: TOKEN_ROLES[kind] };
  }
  return caller;
}

/** The API id of the local runtime's request events (HTTP_API_ID in the handlers' environment). */
export const LOCAL_API_ID = 'local';
export const LOCAL_SERVICE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT}:user/local-service`;
/** The `sub` each local operator role is recorded as: the admin token keeps the name it always had. */
export const LOCAL_OPERATOR_SUBS: Readonly<Record<OperatorRole, string>> = { admin: 'local-operator', support: 'local-support', viewer: 'local-viewer' };
export const LOCAL_OPERATOR_SUB = LOCAL_OPERATOR_SUBS.admin;

export function buildRouter(functions: Map<string, LocalFunction>): Router<RouteTarget> {
  return new Router(
    httpRoutes().map((route) => {
      const fn = functions.get(route.fn.name);
      if (!fn) throw new Error(`manifest function ${route.fn.name} is not loaded`);
      return { method: route.method, path: route.path, target: { fn, auth: route.auth, ...(route.role && { role: route.role }) } };
    }),
  );
}

export function errorResponse(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/**
 * The largest body each kind of route takes, refused (413) before it is read whole: as declared by
 * Content-Length, or as soon as the bytes read pass it. The handlers refuse a JSON body above
 * MAX_BODY_BYTES anyway; the gateway does it first, so a flood of large bodies costs no handler
 * work. Public routes are GETs of static files: no body at all.
 */
export const BODY_LIMITS: Readonly<Record<AuthKind, number>> = {
  service: MAX_BODY_BYTES,
  operator: MAX_BODY_BYTES,
  webhook: MAX_BODY_BYTES,
  public: 0,
};

/**
 * A PutEvents request: at most 256 KB of entries (validated by put-events.ts); their Detail is a
 * JSON string inside the JSON request, so escaping may double it.
 */
export const MAX_BUS_REQUEST_BYTES = 512 * 1024;

/** Reads a request body, or answers 'too_large' without reading it whole once it passes `limit`. */
export async function readBody(req: IncomingMessage, limit = MAX_REQUEST_BYTES): Promise<Buffer | 'too_large'> {
  if (declaresMoreThan(req, limit)) return 'too_large';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return 'too_large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Whether the request's Content-Length already says its body is above `limit`. */
export function declaresMoreThan(req: Pick<IncomingMessage, 'headers'>, limit: number): boolean {
  const declared = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(declared) && declared > limit;
}

/**
 * Whether a Host header names this machine's loopback (any port): `localhost` (and `*.localhost`),
 * `127.0.0.1` and the rest of 127/8, `[::1]`, or the address the runtime was told to listen on. A
 * page of another site that rebinds its DNS name to 127.0.0.1 still sends its own name: refused.
 *
 * @example
 * isLoopbackHost('127.0.0.1:3000') // true
 * isLoopbackHost('evil.example:3000') // false
 */
export function isLoopbackHost(host: string | undefined, listenHost?: string): boolean {
  if (!host) return false;
  const name = (host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '')).toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost') || name === '[::1]') return true;
  if (/^127(\.\d{1,3}){3}$/.test(name)) return true;
  return listenHost !== undefined && name === (listenHost.includes(':') ? `[${listenHost.toLowerCase()}]` : listenHost.toLowerCase());
}

const TEXT_TYPES = /^(application\/([\w.+-]+\+)?(json|xml|x-www-form-urlencoded)|text\/)/i;

/** The API Gateway HTTP API v2 event for a request, with the authorizer's identity. */
export function toApiGatewayEvent(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  match: { routeKey: string; pathParameters: Record<string, string> },
  caller: Caller,
): Record<string, unknown> {
  // Built as Lambda receives them, from JSON: a key such as `__proto__` is an own property.
  const headerEntries = new Map<string, string>();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headerEntries.set(key.toLowerCase(), Array.isArray(value) ? value.join(',') : value);
  }
  const headers = Object.fromEntries(headerEntries) as Record<string, string>;
  const queryEntries = new Map<string, string>();
  for (const [key, value] of url.searchParams) queryEntries.set(key, queryEntries.has(key) ? `${queryEntries.get(key)},${value}` : value);
  const query = Object.fromEntries(queryEntries) as Record<string, string>;
  const isText = body.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? 'application/json');
  const now = new Date();
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey: match.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(match.pathParameters).length ? { pathParameters: match.pathParameters } : {}),
    ...(body.length ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !isText,
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: LOCAL_API_ID,
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: { method: req.method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId,
      routeKey: match.routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      authorizer:
        caller.kind === 'operator'
          ? { jwt: { claims: { sub: LOCAL_OPERATOR_SUBS[caller.role], iss: 'provisioning-local', scope: DEFAULT_ROLE_SCOPES[caller.role] }, scopes: [DEFAULT_ROLE_SCOPES[caller.role]] } }
          : { iam: { userArn: LOCAL_SERVICE_ARN, callerId: 'local-service', accountId: LOCAL_ACCOUNT, principalOrgId: null } },
    },
  };
}

/** Writes a Lambda proxy result (payload format 2.0) as API Gateway does. */
export function writeLambdaResult(res: ServerResponse, result: unknown, requestId: string): void {
  if (!result || typeof result !== 'object' || !('statusCode' in result)) {
    // Payload 2.0: a bare value is a 200 JSON body.
    const body = JSON.stringify(result ?? null);
    res.writeHead(200, { 'content-type': 'application/json', 'apigw-requestid': requestId });
    res.end(body);
    return;
  }
  const r = result as { statusCode: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean; cookies?: string[] };
  const body = r.body === undefined ? Buffer.alloc(0) : r.isBase64Encoded ? Buffer.from(r.body, 'base64') : Buffer.from(r.body, 'utf8');
  res.writeHead(r.statusCode, { ...(r.headers ?? {}), 'content-length': body.length, 'apigw-requestid': requestId, ...(r.cookies?.length ? { 'set-cookie': r.cookies } : {}) });
  res.end(body);
}
