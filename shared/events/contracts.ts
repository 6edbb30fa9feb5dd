/**
 * Events the service publishes. Their zod schemas are the contract (exported as JSON Schema in docs/).
 */
import * as z from 'zod';

const state = z.record(z.string(), z.unknown());

export const namespaceSubscriptionChanged = z.object({
  namespaceId: z.number().int().positive(),
  version: z.number().int().positive(),
  eventId: z.string(),
  type: z.string(),
  actor: z.string(),
  subscriptionId: z.string().nullable(),
  before: state.nullable(),
  after: state,
  occurredAt: z.string(),
  appliedAt: z.string(),
});

export type NamespaceSubscriptionChanged = z.infer<typeof namespaceSubscriptionChanged>;
