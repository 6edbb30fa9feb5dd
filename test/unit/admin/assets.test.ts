import { readFileSync } from 'node:fs';
import path from 'node:path';
import { transformSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ADMIN_DIR, ADMIN_SOURCES, GENERATED_FILE, renderAdminAssets } from '../../../admin/build.js';
import { adminAssets } from '../../../admin/assets.generated.js';
import { handler } from '../../../functions/admin-page/handler.js';
import { REASSOCIATION_REASONS } from '../../../shared/reassociation/domain.js';
import { CORRECTION_REASONS } from '../../../shared/lifecycle/domain/types.js';
import { errorStatuses, transition } from '../../../shared/error-log/domain/status.js';
import { JOB_NAMES } from '../../../shared/jobs/names.js';
import { httpRoutes } from '../../../shared/service/manifest.js';
import type { HttpEvent } from '../../../shared/platform/http/handler.js';

const source = (file: string) => readFileSync(path.join(ADMIN_DIR, file), 'utf8');
const appJs = source('app.js');

function event(routeKey: string, query?: Record<string, string>): HttpEvent {
  const [, rawPath] = routeKey.split(' ');
  return {
    version: '2.0',
    routeKey,
    rawPath: rawPath!,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: {},
    ...(query ? { queryStringParameters: query } : {}),
    isBase64Encoded: false,
    requestContext: { requestId: 'r-1', routeKey, http: { method: 'GET', path: rawPath!, sourceIp: '127.0.0.1' } },
  };
}

/** A `const NAME = <JSON>;` line of app.js, parsed. */
function constantOf(name: string): unknown {
  const match = new RegExp(`^const ${name} = (.+);$`, 'm').exec(appJs);
  if (!match) throw new Error(`admin/app.js has no one-line const ${name}`);
  return JSON.parse(match[1]!);
}

describe('Admin page assets', () => {
  it('admin/assets.generated.ts holds exactly the files under admin/ (run npx tsx scripts/build-admin.ts)', () => {
    expect(readFileSync(GENERATED_FILE, 'utf8'), 'admin/assets.generated.ts is stale: run npx tsx scripts/build-admin.ts').toBe(renderAdminAssets());
    for (const { file, routeKey } of ADMIN_SOURCES) expect(adminAssets[routeKey]?.body).toBe(source(file));
  });

  it('app.js parses as a module (a syntax error would leave the page blank in every browser)', () => {
    expect(() => transformSync(appJs, { format: 'esm', loader: 'js', logLevel: 'silent' })).not.toThrow();
  });

  it('serves exactly the public routes of the manifest', () => {
    const publicRoutes = httpRoutes().filter((r) => r.auth === 'public');
    expect(publicRoutes.map((r) => `${r.method} ${r.path}`).sort()).toEqual(Object.keys(adminAssets).sort());
    expect(new Set(publicRoutes.map((r) => r.fn.name))).toEqual(new Set(['admin-page']));
  });

  it('has no inline script or style: the CSP allows only the page\'s own files', () => {
    const html = source('index.html');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]![1]).toContain('src="/admin/app.js"');
    expect(scripts[0]![2]!.trim()).toBe('');
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    expect(html).toContain('<link rel="stylesheet" href="/admin/app.css">');
  });

  it('writes the page with DOM calls and text only (Trusted Types would refuse HTML strings)', () => {
    expect(appJs).not.toMatch(/\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(/);
  });

  it('offers the error workflow, the reassociation and correction reasons and the jobs the service knows', () => {
    const next = constantOf('NEXT_STATUSES') as Record<string, string[]>;
    expect(Object.keys(next)).toEqual([...errorStatuses]);
    for (const from of errorStatuses) {
      for (const to of errorStatuses) {
        if (from === to) continue;
        expect(next[from]!.includes(to), `${from} → ${to}`).toBe(transition(from, to).kind === 'move');
      }
    }
    expect(constantOf('REASONS')).toEqual([...REASSOCIATION_REASONS]);
    expect(constantOf('CORRECTION_REASONS')).toEqual([...CORRECTION_REASONS]);
    expect([...(constantOf('JOBS') as string[])].sort()).toEqual([...JOB_NAMES].sort());
  });
});

describe('Function: admin-page handler', () => {
  it.each(ADMIN_SOURCES.map((s) => [s.routeKey, s] as const))('%s answers the file with strict security headers', async (routeKey, { contentType, file }) => {
    const result = await handler(event(routeKey));
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe(source(file));
    expect(result.headers).toMatchObject({
      'content-type': contentType,
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
    const csp = String(result.headers?.['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
  });

  it('refuses a query string with 400 validation_failed, keeping the headers', async () => {
    const result = await handler(event('GET /admin', { token: 'x' }));
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(String(result.body))).toMatchObject({ error: { code: 'validation_failed', details: [{ field: 'token' }] } });
    expect(result.headers?.['x-frame-options']).toBe('DENY');
  });

  it('answers 404 for a route it does not serve', async () => {
    const result = await handler(event('GET /admin/secrets'));
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(String(result.body)).error.code).toBe('not_found');
  });
});
