/**
 * The outbox's mapping: a history entry as the state table's stream delivers it becomes the detail
 * of `Namespace Subscription Changed` (its contract: ./events.ts). No zod here: the outbox function
 * publishes what the command already validated, and its bundle stays small.
 */
import type { NamespaceSubscriptionChanged } from './events.js';

export const NAMESPACE_SUBSCRIPTION_CHANGED = 'Namespace Subscription Changed';

/**
 * Whether a stream record's key is a history entry of a received command (`HIST#<version>`; a stale
 * command's record, `HIST#<version>#STALE#<eventId>`, is not a change).
 */
export const isHistoryKey = (sk: string | undefined): boolean => sk !== undefined && /^HIST#\d{12}$/.test(sk);

/**
 * Whether a history entry is published: the command was applied and changed the state. A refused
 * command, or one that changed nothing (an older entitlements update folded in before a newer one),
 * is kept in the history but is no change to announce. Entries written before the log say neither.
 */
export const isPublished = (entry: Record<string, unknown>): boolean =>
  (entry.outcome === undefined || entry.outcome === 'applied') && entry.changed !== false;

/** The oldest place a state item's log keeps (shared/lifecycle/domain/log.ts floorOf), from the item as stored. */
export function floorOfItem(item: Record<string, unknown> | undefined): string | null {
  if (!item) return null;
  const fold = item.fold as { previousTermKey?: string | null } | undefined;
  const keys = [fold?.previousTermKey ?? null, (item.logBaseKey as string | null | undefined) ?? null].filter((k): k is string => typeof k === 'string');
  return keys.length ? keys.reduce((a, b) => (a > b ? a : b)) : null;
}

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
