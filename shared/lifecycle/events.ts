/**
 * What the lifecycle publishes: `Namespace Subscription Changed` (source `provisioning-service`), one
 * per applied change, from the history entry the change wrote (the state table's stream is the
 * outbox: functions/outbox-publisher). The zod schema is the contract (JSON Schema in docs/events/).
 */
import * as z from '../platform/zod.js';

export { NAMESPACE_SUBSCRIPTION_CHANGED } from './outbox.js';
/**
 * The namespace state as the API answers it (operators' views and reassociation answers show it).
 * Offered here rather than by index.ts, so that features reading states by key (the audit) do not
 * carry the lifecycle's request schemas in their bundles.
 */
export { namespaceState } from './schemas.js';

const state = z.record(z.string(), z.unknown());

export const namespaceSubscriptionChanged = z.object({
  namespaceId: z.int().check(z.positive()),
  version: z.int().check(z.positive()),
  eventId: z.string(),
  type: z.string(),
  actor: z.string(),
  subscriptionId: z.nullable(z.string()),
  before: z.nullable(state),
  after: state,
  occurredAt: z.string(),
  appliedAt: z.string(),
});

export type NamespaceSubscriptionChanged = z.infer<typeof namespaceSubscriptionChanged>;
