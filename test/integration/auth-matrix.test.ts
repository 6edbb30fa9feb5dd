/**
 * Every route of the manifest, every way in: no token 401, a wrong token 401, a service token on an
 * operator route 403, each operator token (viewer, support, admin) on each operator route: through
 * when its role reaches the route's, else 403 naming the role needed; every operator token on a
 * service route 403, the GitLab webhook without X-Gitlab-Token 401 and with a wrong one 403 (its Lambda authorizer). Nothing is written: the
 * bodies sent are invalid for every route that writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { httpRoutes } from '../../shared/service/manifest.js';
import { OPERATOR_ROLES, roleAllows } from '../../shared/platform/operator-roles.js';
import type { OperatorRole } from '../../shared/platform/operator-roles.js';
import { startTestRuntime } from './helpers.js';

let runtime: Runtime;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => {
  await runtime?.stop();
});

const concrete = (path: string) => path.replace(/\{namespaceId\}/g, '4242').replace(/\{(\w+)\}/g, 'auth-matrix-1');

async function send(method: string, path: string, headers: Record<string, string>) {
  const res = await fetch(`${runtime.url}${concrete(path)}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: method === 'GET' ? undefined : JSON.stringify({ eventId: 'auth-matrix', occurredAt: '2026-01-01T00:00:00Z' }),
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

const routes = httpRoutes();
const bearerRoutes = routes.filter((r) => String(r.auth) !== 'webhook' && String(r.auth) !== 'public');
const operatorRoutes = routes.filter((r) => r.auth === 'operator');
const serviceRoutes = routes.filter((r) => r.auth === 'service');
const webhookRoutes = routes.filter((r) => String(r.auth) === 'webhook');
// The admin page's static files: loaded before a browser can send a bearer header; they carry no data.
const publicRoutes = routes.filter((r) => String(r.auth) === 'public');

describe('Auth matrix', () => {
  it.each(bearerRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s: no token 401, wrong token 401', async (_, route) => {
    const none = await send(route.method, route.path, {});
    expect(none.status).toBe(401);
    expect(none.body.error?.code).toBe('unauthorized');
    const wrong = await send(route.method, route.path, { authorization: `Bearer ${runtime.tokens.service}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error?.code).toBe('unauthorized');
    const basic = await send(route.method, route.path, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` });
    expect(basic.status).toBe(401);
  });

  it.each(operatorRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s: a service token is 403', async (_, route) => {
    const res = await send(route.method, route.path, { authorization: `Bearer ${runtime.tokens.service}` });
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe('forbidden');
  });

  const tokenOf = (role: OperatorRole) => (role === 'admin' ? runtime.tokens.operator : runtime.tokens[role]);
  const operatorCases = operatorRoutes.flatMap((r) => OPERATOR_ROLES.map((role) => [`${r.method} ${r.path} (needs ${r.role})`, role, r] as const));

  it.each(operatorCases)('%s: the %s token', async (_, role, route) => {
    const res = await send(route.method, route.path, { authorization: `Bearer ${tokenOf(role)}` });
    if (roleAllows(role, route.role!)) {
      // Through the gateway and the handler's own check: what it answers is the route's business.
      expect([401, 403]).not.toContain(res.status);
    } else {
      expect(res.status).toBe(403);
      expect(res.body.error?.code).toBe('forbidden');
      expect(res.body.error?.message).toContain(`needs the ${route.role} role`);
    }
  });

  it.each(serviceRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s: every operator token is 403, as IAM refuses a JWT in AWS', async (_, route) => {
    for (const role of OPERATOR_ROLES) {
      const res = await send(route.method, route.path, { authorization: `Bearer ${tokenOf(role)}` });
      expect(res.status, role).toBe(403);
      expect(res.body.error?.code).toBe('forbidden');
    }
  });

  it('every operator route names its role, and no other route does', () => {
    for (const r of routes) expect(r.auth === 'operator' ? OPERATOR_ROLES.includes(r.role!) : r.role === undefined, `${r.method} ${r.path}`).toBe(true);
  });

  // As API Gateway's Lambda authorizer answers: no identity source 401, a refusal 403.
  it.each(webhookRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s: no X-Gitlab-Token is 401, a wrong one 403', async (_, route) => {
    const attempts: Array<[Record<string, string>, number, string]> = [
      [{}, 401, 'unauthorized'],
      [{ authorization: `Bearer ${runtime.tokens.operator}` }, 401, 'unauthorized'],
      [{ 'x-gitlab-token': 'wrong' }, 403, 'forbidden'],
    ];
    for (const [headers, status, code] of attempts) {
      const res = await send(route.method, route.path, headers);
      expect(res.status).toBe(status);
      expect(res.body.error?.code).toBe(code);
    }
  });

  it.each(publicRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s: public, answers without a token and ignores one', async (_, route) => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: `Bearer ${runtime.tokens.service}x` }];
    for (const headers of attempts) {
      const res = await fetch(`${runtime.url}${route.path}`, { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      const text = await res.text();
      for (const token of [runtime.tokens.operator, runtime.tokens.support, runtime.tokens.viewer]) expect(text).not.toContain(token);
    }
  });

  it('covers every route of the manifest', () => {
    expect(bearerRoutes.length + webhookRoutes.length + publicRoutes.length).toBe(routes.length);
    expect(routes.length).toBeGreaterThan(10);
  });
});
