import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderEventSchemas } from '../../../shared/service/event-catalog.js';
import { httpRoutes } from '../../../shared/service/manifest.js';
import { buildOpenApi } from '../../../shared/service/openapi.js';
import { routeScopes } from '../../../shared/platform/operator-roles.js';

describe('Contracts', () => {
  it('docs/events holds the JSON Schemas of the current zod contracts (npm run schemas)', () => {
    for (const [file, text] of renderEventSchemas()) {
      expect(readFileSync(path.join('docs', 'events', file), 'utf8'), `${file}: run npm run schemas`).toBe(text);
    }
  });

  it('documents every manifest HTTP route in OpenAPI 3.1 with its auth kind', () => {
    const doc = buildOpenApi() as { openapi: string; paths: Record<string, Record<string, { security: Array<Record<string, unknown>>; responses: Record<string, unknown> }>> };
    expect(doc.openapi).toBe('3.1.0');
    for (const route of httpRoutes()) {
      const operation = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      if (route.auth === 'public') expect(operation!.security).toEqual([]);
      else expect(Object.keys(operation!.security[0]!)).toEqual([route.auth]);
      // An operator route names its role and the scopes that reach it.
      if (route.auth === 'operator') {
        expect(operation).toMatchObject({ 'x-operator-role': route.role });
        expect(operation!.security[0]!.operator).toEqual(routeScopes(route.role));
      }
      expect(operation!.responses).toHaveProperty('400');
    }
  });
});
