/**
 * The operator's JWT, verified again in the handler (defence in depth behind API Gateway's JWT
 * authorizer): a direct `lambda:InvokeFunction` can forge `requestContext.authorizer`, but not a
 * token signed by the issuer. Checked with jose: the issuer, `RS256` only, a maximum age from
 * `iat`, the audience (`aud`, or `client_id` when there is no `aud`, as API Gateway checks), and the issuer's keys (its JWKS, found by OpenID discovery as API Gateway does).
 *
 * Configured by the stack (OPERATOR_JWT_ISSUER, OPERATOR_JWT_AUDIENCE, OPERATOR_JWT_MAX_AGE_SECONDS);
 * without an issuer (the local runtime, which is its own authorizer, and unit tests) nothing is
 * verified here and the claims the gateway passed are used.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import type { Logger } from '@aws-lambda-powertools/logger';
import { UnauthorizedError } from './errors.js';
import { DEFAULT_MAX_AGE_SECONDS, OPERATOR_JWT_ENV } from '../operator-roles.js';
import { headerOf, httpHandler, operatorClaims } from './handler.js';
import type { HttpEvent, HttpResult, OperatorClaims, RequestScope, ServerFailureHook } from './handler.js';


export interface TokenCheck {
  issuer: string;
  audience: string;
  maxAgeSeconds: number;
  keys: JWTVerifyGetKey;
}

/**
 * Verifies `token` and answers its claims; anything wrong is 401 (the gateway let it through, so
 * the reason is logged by the caller, never shown in detail).
 *
 * @example
 * const claims = await verifyOperatorToken(token, { issuer, audience, maxAgeSeconds: 3600, keys });
 */
export async function verifyOperatorToken(token: string, check: TokenCheck): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, check.keys, {
      issuer: check.issuer,
      algorithms: ['RS256'],
      maxTokenAge: check.maxAgeSeconds,
      requiredClaims: ['sub', 'iat', 'exp'],
    });
    // As API Gateway's JWT authorizer: `aud`, or `client_id` for tokens without one (Cognito access tokens).
    const audiences = Array.isArray(payload.aud) ? payload.aud : payload.aud === undefined ? [] : [payload.aud];
    if (!audiences.includes(check.audience) && !(payload.aud === undefined && payload.client_id === check.audience)) {
      throw new Error('unexpected "aud" claim value');
    }
    return payload;
  } catch (error) {
    throw new UnauthorizedError('The operator token did not verify: sign in again.', { cause: error });
  }
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}

let remote: { issuer: string; keys: Promise<JWTVerifyGetKey> } | undefined;

/** The issuer's JWKS by OpenID discovery, once per container (jose caches and refreshes the keys). */
function issuerKeys(issuer: string): JWTVerifyGetKey {
  if (!remote || remote.issuer !== issuer) {
    const keys = (async () => {
      const res = await fetch(new URL(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`), { signal: AbortSignal.timeout(3_000) });
      if (!res.ok) throw new Error(`OpenID discovery of ${issuer} answered ${res.status}`);
      const { jwks_uri } = (await res.json()) as { jwks_uri?: unknown };
      if (typeof jwks_uri !== 'string' || !jwks_uri.startsWith('https://')) throw new Error(`OpenID discovery of ${issuer} names no https jwks_uri`);
      return createRemoteJWKSet(new URL(jwks_uri));
    })();
    // A failed discovery is tried again on the next request, not cached for the container's life.
    keys.catch(() => (remote = undefined));
    remote = { issuer, keys };
  }
  const pending = remote.keys;
  return async (header, token) => (await pending)(header, token);
}

/** The check the stack configured, or undefined where no issuer is set (locally, unit tests). */
export function tokenCheckFromEnv(env: Record<string, string | undefined> = process.env): TokenCheck | undefined {
  const issuer = env[OPERATOR_JWT_ENV.issuer];
  if (!issuer) return undefined;
  const audience = env[OPERATOR_JWT_ENV.audience];
  if (!audience) throw new Error(`${OPERATOR_JWT_ENV.issuer} is set without ${OPERATOR_JWT_ENV.audience}`);
  const maxAge = Number(env[OPERATOR_JWT_ENV.maxAgeSeconds] ?? DEFAULT_MAX_AGE_SECONDS);
  return { issuer, audience, maxAgeSeconds: Number.isFinite(maxAge) && maxAge > 0 ? maxAge : DEFAULT_MAX_AGE_SECONDS, keys: issuerKeys(issuer) };
}

/**
 * In AWS (an issuer configured), an operator event's claims come from the bearer token verified
 * here, not from the requestContext a direct invoke could forge. Elsewhere, the gateway's claims.
 */
export async function verifiedOperatorClaims(event: HttpEvent, log: Logger): Promise<OperatorClaims | undefined> {
  const claims = operatorClaims(event);
  const check = tokenCheckFromEnv();
  if (!check || !claims) return claims;
  const token = bearerToken(headerOf(event, 'authorization'));
  if (!token) throw new UnauthorizedError('Missing bearer token: operators call with their access token.');
  try {
    return await verifyOperatorToken(token, check);
  } catch (error) {
    log.warn('operator token refused', { reason: ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message });
    throw error;
  }
}

/**
 * An httpHandler for operator routes: only operators, their JWT verified again in AWS, their role
 * checked against the route's. Only operator functions import it, so jose (about 15 KB minified)
 * stays out of the service functions' bundles.
 *
 * @example
 * export const handler = operatorHandler(async (event, { actor }) => ({ body: await listFlags() }));
 */
export function operatorHandler(fn: (event: HttpEvent, scope: RequestScope) => Promise<HttpResult>, options: { onServerFailure?: ServerFailureHook } = {}) {
  return httpHandler(fn, { ...options, requireOperator: true, verifyOperator: verifiedOperatorClaims });
}
