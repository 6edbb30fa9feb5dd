/**
 * The operator's JWT, verified again in the handler (defence in depth behind API Gateway's JWT
 * authorizer): a direct `lambda:InvokeFunction` can forge `requestContext.authorizer`, but not a
 * token signed by the issuer. Checked with jose: the issuer, the audience, `RS256` only, a maximum
 * age from `iat`, and the issuer's keys (its JWKS, found by OpenID discovery as API Gateway does).
 *
 * Configured by the stack (OPERATOR_JWT_ISSUER, OPERATOR_JWT_AUDIENCE, OPERATOR_JWT_MAX_AGE_SECONDS);
 * without an issuer (the local runtime, which is its own authorizer, and unit tests) nothing is
 * verified here and the claims the gateway passed are used.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { UnauthorizedError } from './errors.js';

export const OPERATOR_JWT_ENV = {
  issuer: 'OPERATOR_JWT_ISSUER',
  audience: 'OPERATOR_JWT_AUDIENCE',
  maxAgeSeconds: 'OPERATOR_JWT_MAX_AGE_SECONDS',
  nameClaim: 'OPERATOR_NAME_CLAIM',
} as const;

/** Tokens older than this (from `iat`) are refused unless the stack says otherwise: 12 hours. */
export const DEFAULT_MAX_AGE_SECONDS = 12 * 60 * 60;

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
      audience: check.audience,
      algorithms: ['RS256'],
      maxTokenAge: check.maxAgeSeconds,
      requiredClaims: ['sub', 'iat', 'exp'],
    });
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
