/**
 * The outbox's mapping: a history entry as the state table's stream delivers it becomes the detail
 * of `Namespace Subscription Changed` (its contract: ./events.ts). No zod here: the outbox function
 * publishes what the command already validated, and its bundle stays small.
 */
import type { NamespaceSubscriptionChanged } from './events.js';

export const NAMESPACE_SUBSCRIPTION_CHANGED = 'Namespace Subscription Changed';

/** Whether a stream record's key is a history entry (one per applied change): only those are published. */
export const isHistoryKey = (sk: string | undefined): boolean => sk?.startsWith('HIST#') ?? false;

/** The detail of `Namespace Subscription Changed`, from a history entry as stored. */
export function namespaceChangedDetail(entry: Record<string, unknown>): NamespaceSubscriptionChanged {
  return {
    namespaceId: entry.namespaceId as number,
    version: entry.version as number,
    eventId: entry.eventId as string,
    type: entry.type as string,
    actor: entry.actor as string,
    subscriptionId: (entry.subscriptionId as string | null) ?? null,
    before: (entry.before as Record<string, unknown> | null) ?? null,
    after: entry.after as Record<string, unknown>,
    occurredAt: entry.occurredAt as string,
    appliedAt: entry.appliedAt as string,
  };
}
