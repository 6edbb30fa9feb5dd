/** OpenAPI entries of the flag routes (spread into routeDocs of shared/service/openapi.ts). */
import type * as z from '../platform/zod.js';
import { flagChangeBody, flagHistory, flagList, flagView } from './schemas.js';

interface RouteDoc {
  summary: string;
  body?: z.ZodMiniType;
  response: z.ZodMiniType;
  dryRun?: boolean;
}

export const flagRouteDocs: Record<string, RouteDoc> = {
  'GET /v1/flags': { summary: 'Every feature flag and its gates', response: flagList },
  'GET /v1/flags/{name}': { summary: "A flag's gates and version", response: flagView },
  'PUT /v1/flags/{name}': {
    summary: 'Changes the gates named in the body (creates the flag, every gate off, when missing); 201 when created',
    body: flagChangeBody,
    response: flagView,
  },
  'GET /v1/flags/{name}/history': { summary: "A flag's changes, newest first, with operator, before and after", response: flagHistory },
};
