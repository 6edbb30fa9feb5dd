/**
 * The operator reads behind the admin page: their queries and answers, all zod (OpenAPI is
 * generated from these).
 */
import * as z from '../platform/zod.js';
import { namespaceState } from '../lifecycle/events.js';
import { pageLimit } from '../platform/schemas.js';

/** `?limit=&cursor=` of a namespace's history page. */
export const namespaceViewQuery = z.strictObject({
  limit: pageLimit(100).check(z.describe('History entries per page (1–100, default 20)')),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(512))).check(z.describe('nextCursor of the previous page')),
});

export const historyEntry = z.object({
  namespaceId: z.number(),
  version: z.int(),
  eventId: z.string(),
  type: z.string(),
  actor: z.string(),
  subscriptionId: z.nullable(z.string()),
  before: z.nullable(namespaceState),
  after: namespaceState,
  occurredAt: z.string(),
  appliedAt: z.string(),
});

export const namespaceView = z.object({
  namespaceId: z.number(),
  state: namespaceState,
  history: z.object({ items: z.array(historyEntry), nextCursor: z.nullable(z.string()) }),
});

export const subscriptionLocation = z.object({
  subscriptionId: z.string(),
  namespaceId: z.number(),
  associatedAt: z.string(),
});

export const metricsSnapshotSchema = z.object({
  since: z.string().check(z.describe('When the answering process started counting')),
  scope: z.literal('process').check(z.describe("The answering process's own counters: locally the whole service, in AWS one container")),
  namespace: z.string(),
  counters: z.array(
    z.object({
      name: z.string(),
      dimensions: z.record(z.string(), z.string()),
      unit: z.string(),
      samples: z.number(),
      sum: z.number(),
      max: z.number(),
      last: z.number(),
      firstAt: z.string(),
      lastAt: z.string(),
    }),
  ),
});

/** `GET /v1/operator/me`: who the signed-in operator is, and the role the admin page shows them as. */
export const operatorMe = z.object({
  id: z.string(),
  name: z.optional(z.string()),
  role: z.enum(['viewer', 'support', 'admin']),
});
