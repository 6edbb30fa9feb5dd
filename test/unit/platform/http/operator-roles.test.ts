/**
 * The operator roles in the handler: what each role may call, the role a token's scopes grant, the
 * JWT verified again with jose (issuer, audience, RS256 only, max age, the issuer's JWKS by OpenID
 * discovery), and the 403 that names the role a route needs.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Context } from 'aws-lambda';
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import { DEFAULT_ROLE_SCOPES, roleAllows, roleOfScopes, routeScopes, operatorRouteRoles } from '../../../../shared/platform/operator-roles.js';
import { httpHandler, recordedActor } from '../../../../shared/platform/http/handler.js';
import type { HttpEvent } from '../../../../shared/platform/http/handler.js';
import { operatorHandler, verifyOperatorToken } from '../../../../shared/platform/http/operator-token.js';

const ISSUER = 'https://issuer.test/oauth2/default';
const AUDIENCE = 'provisioning-operators';
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let jwks: { keys: JWK[] };

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
});

const sign = (claims: Record<string, unknown>, options: { iss?: string; aud?: string | null; iatSecondsAgo?: number } = {}) => {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('00u-ada').setIssuer(options.iss ?? ISSUER).setIssuedAt(now - (options.iatSecondsAgo ?? 0)).setExpirationTime(now + 3600);
  if (options.aud !== null) jwt = jwt.setAudience(options.aud ?? AUDIENCE);
  return jwt.sign(privateKey);
};

describe('Module: operator-roles', () => {
  it('orders the roles: admin may do what support may, support what viewer may', () => {
    expect(roleAllows('admin', 'support')).toBe(true);
    expect(roleAllows('support', 'support')).toBe(true);
    expect(roleAllows('viewer', 'support')).toBe(false);
    expect(roleAllows('support', 'admin')).toBe(false);
  });

  it("lists the route's role scope and every higher role's", () => {
    expect(routeScopes('viewer')).toEqual(['provisioning/read', 'provisioning/support', 'provisioning/admin']);
    expect(routeScopes('support')).toEqual(['provisioning/support', 'provisioning/admin']);
    expect(routeScopes('admin', { viewer: 'r', support: 's', admin: 'a' })).toEqual(['a']);
  });

  it('takes the highest role of the scopes, from a space-separated scope or an scp array', () => {
    expect(roleOfScopes('openid provisioning/read provisioning/support')).toBe('support');
    expect(roleOfScopes(['provisioning/admin'])).toBe('admin');
    expect(roleOfScopes('openid profile')).toBeUndefined();
    expect(roleOfScopes('provisioning/readx')).toBeUndefined();
    expect(roleOfScopes(undefined)).toBeUndefined();
  });

  it('maps routes to roles by route key, operator routes only', () => {
    expect(operatorRouteRoles([{ method: 'PUT', path: '/v1/flags/{name}', auth: 'operator', role: 'admin' }, { method: 'GET', path: '/v1/x', auth: 'service' }])).toEqual({ 'PUT /v1/flags/{name}': 'admin' });
  });
});

describe('Function: verifyOperatorToken', () => {
  const check = () => ({ issuer: ISSUER, audience: AUDIENCE, maxAgeSeconds: 600, keys: createLocalJWKSet(jwks) });

  it("answers the claims of a token of the issuer's key, issuer and audience", async () => {
    const claims = await verifyOperatorToken(await sign({ scope: 'provisioning/read' }), check());
    expect(claims).toMatchObject({ sub: '00u-ada', scope: 'provisioning/read' });
  });

  it('accepts client_id as the audience of a token without aud (Cognito access tokens), as API Gateway does', async () => {
    await expect(verifyOperatorToken(await sign({ client_id: AUDIENCE }, { aud: null }), check())).resolves.toMatchObject({ sub: '00u-ada' });
  });

  it('refuses another issuer, another audience, a token older than the max age, and a token without aud or client_id', async () => {
    for (const token of [
      await sign({}, { iss: 'https://gitlab.example.com' }),
      await sign({}, { aud: 'something-else' }),
      await sign({}, { iatSecondsAgo: 601 }),
      await sign({}, { aud: null }),
    ]) {
      await expect(verifyOperatorToken(token, check())).rejects.toMatchObject({ kind: 'unauthorized' });
    }
  });

  it('refuses any algorithm but RS256: an HS256 token and an unsigned one', async () => {
    const hs = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode('k'.repeat(32)));
    const [, body] = (await sign({})).split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${body}.`;
    for (const token of [hs, none]) await expect(verifyOperatorToken(token, check())).rejects.toMatchObject({ kind: 'unauthorized' });
  });
});

describe('Function: httpHandler (operator roles)', () => {
  const ROUTES = { 'GET /v1/errors': 'viewer', 'PATCH /v1/errors/{id}': 'support', 'PUT /v1/flags/{name}': 'admin' };
  const handler = operatorHandler(async (_event, { actor }) => ({ body: { recorded: recordedActor(actor), role: actor.role } }));
  const serviceHandler = httpHandler(async (_event, { actor }) => ({ body: { recorded: recordedActor(actor) } }));
  const call = async (routeKey: string, claims: Record<string, unknown>, headers: Record<string, string> = {}, fn = handler) => {
    const event = {
      version: '2.0', routeKey, rawPath: '/', rawQueryString: '', headers, isBase64Encoded: false,
      requestContext: { requestId: 'r', routeKey, apiId: 'api1', http: { method: 'GET', path: '/', sourceIp: '' }, authorizer: { jwt: { claims } } },
    } as HttpEvent;
    const res = (await fn(event, { awsRequestId: 'r', functionName: 'f' } as Context)) as { statusCode: number; body: string };
    return { status: res.statusCode, body: JSON.parse(res.body) as { recorded?: string; role?: string; error?: { code: string; message: string } } };
  };

  beforeEach(() => {
    process.env.OPERATOR_ROUTES = JSON.stringify(ROUTES);
    process.env.HTTP_API_ID = 'api1';
  });
  afterEach(() => {
    for (const key of ['OPERATOR_ROUTES', 'HTTP_API_ID', 'OPERATOR_JWT_ISSUER', 'OPERATOR_JWT_AUDIENCE', 'OPERATOR_JWT_MAX_AGE_SECONDS']) delete process.env[key];
    vi.unstubAllGlobals();
  });

  it('lets a role through on its routes and the lower ones, and refuses a higher one with 403 naming the role needed', async () => {
    const support = { sub: 's1', scope: DEFAULT_ROLE_SCOPES.support };
    expect((await call('GET /v1/errors', support)).status).toBe(200);
    expect((await call('PATCH /v1/errors/{id}', support)).status).toBe(200);
    const refused = await call('PUT /v1/flags/{name}', support);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('needs the admin role') });
    const viewer = await call('PATCH /v1/errors/{id}', { sub: 'v1', scope: DEFAULT_ROLE_SCOPES.viewer });
    expect(viewer.status).toBe(403);
    expect(viewer.body.error?.message).toContain('needs the support role');
  });

  it('refuses a JWT without any role scope, and a route the function does not list (fails closed)', async () => {
    expect((await call('GET /v1/errors', { sub: 'x', scope: 'openid profile' })).status).toBe(403);
    expect((await call('GET /v1/unlisted', { sub: 'x', scope: DEFAULT_ROLE_SCOPES.admin })).status).toBe(403);
  });

  it('records the person: the sub, with the display name when the token has one', async () => {
    expect((await call('GET /v1/errors', { sub: '00u-ada', name: 'Ada Lovelace', scope: DEFAULT_ROLE_SCOPES.viewer })).body.recorded).toBe('Ada Lovelace (00u-ada)');
    expect((await call('GET /v1/errors', { sub: '00u-bob', preferred_username: 'bob@example.com', scope: DEFAULT_ROLE_SCOPES.viewer })).body.recorded).toBe('bob@example.com (00u-bob)');
    expect((await call('GET /v1/errors', { sub: '00u-eve', scope: DEFAULT_ROLE_SCOPES.viewer })).body.recorded).toBe('00u-eve');
  });

  describe('given an issuer (in AWS): the bearer token is verified again', () => {
    beforeEach(() => {
      process.env.OPERATOR_JWT_ISSUER = ISSUER;
      process.env.OPERATOR_JWT_AUDIENCE = AUDIENCE;
      process.env.OPERATOR_JWT_MAX_AGE_SECONDS = '600';
      // OpenID discovery, then the JWKS it names: as jose and the handler fetch them.
      vi.stubGlobal('fetch', async (input: URL | string) => {
        const url = String(input);
        if (url === `${ISSUER}/.well-known/openid-configuration`) return Response.json({ issuer: ISSUER, jwks_uri: 'https://issuer.test/keys' });
        if (url === 'https://issuer.test/keys') return Response.json(jwks);
        return new Response('not found', { status: 404 });
      });
    });

    it('takes the role from the verified token, not from the claims of the request context', async () => {
      const token = await sign({ scope: DEFAULT_ROLE_SCOPES.viewer });
      // A direct invoke forging admin claims, with a real viewer's token.
      const forged = await call('PATCH /v1/errors/{id}', { sub: 'root', scope: DEFAULT_ROLE_SCOPES.admin }, { authorization: `Bearer ${token}` });
      expect(forged.status).toBe(403);
      expect(forged.body.error?.message).toContain('needs the support role');
      const read = await call('GET /v1/errors', { sub: 'root', scope: DEFAULT_ROLE_SCOPES.admin }, { authorization: `Bearer ${token}` });
      expect(read.body).toEqual({ recorded: '00u-ada', role: 'viewer' });
    });

    it('refuses forged claims without a token, and a token the issuer did not sign', async () => {
      const admin = { sub: 'root', scope: DEFAULT_ROLE_SCOPES.admin };
      expect((await call('GET /v1/errors', admin)).status).toBe(401);
      const other = await generateKeyPair('RS256');
      const foreign = await new SignJWT({ scope: DEFAULT_ROLE_SCOPES.admin }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('x').setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('1h').sign(other.privateKey);
      const res = await call('GET /v1/errors', admin, { authorization: `Bearer ${foreign}` });
      expect(res.status).toBe(401);
    });

    it('a function that does not verify operator tokens (a service function) believes no JWT claims', async () => {
      const token = await sign({ scope: DEFAULT_ROLE_SCOPES.admin });
      expect((await call('GET /v1/errors', { sub: '00u-ada', scope: DEFAULT_ROLE_SCOPES.admin }, { authorization: `Bearer ${token}` }, serviceHandler)).status).toBe(401);
    });
  });
});
