/**
 * Applies one lifecycle command exactly once: read (one consistent BatchGetItem), decide with the
 * pure domain rule, write (one TransactWriteItems). A replay answers the stored result; a lost race
 * re-reads and tries again a bounded number of times.
 */
import { applyCommand, emptyState } from './domain/rules.js';
import type { LifecycleCommand, NamespaceState } from './domain/types.js';
import { HttpError, conflict, notFound } from '../platform/http/errors.js';
import { idempotencyExpiresAt } from '../platform/dynamodb/idempotency.js';
import { MAX_ATTEMPTS, assertSameRequest, backoff, concurrentUpdate, requestHash as hashOf } from '../platform/exactly-once.js';
import type { CommandOptions } from '../platform/exactly-once.js';
import { ConcurrentUpdateError } from '../platform/dynamodb/errors.js';
import {
  DuplicateEventError,
  SubscriptionTakenError,
  commitCommand,
  getState,
  toState,
  readForCommand,
} from './store.js';
import type { IdempotencyRecord, ReadSet } from './store.js';

export interface ExecuteResult {
  state: NamespaceState;
  /** The same eventId was applied before: this is the stored result, nothing was written. */
  replayed: boolean;
  dryRun: boolean;
}

export { MAX_ATTEMPTS };

/**
 * Which namespace a subscription was last seen on, per process. Only a hint that lets the read
 * fetch the state in the same BatchGetItem: the pointer is read too, and the write is conditional
 * on the state still holding the subscription, so a stale hint costs one more read, never a wrong write.
 */
const namespaceHint = new Map<string, number>();
const HINT_LIMIT = 10_000;

function rememberNamespace(subscriptionId: string, namespaceId: number): void {
  if (namespaceHint.size >= HINT_LIMIT) namespaceHint.delete(namespaceHint.keys().next().value!);
  namespaceHint.set(subscriptionId, namespaceId);
}

/** The canonical hash of a command: same eventId with another body is a conflict. */
export function requestHash(command: LifecycleCommand): string {
  return hashOf(command);
}

function replay(record: IdempotencyRecord, hash: string, dryRun: boolean): ExecuteResult {
  assertSameRequest(record, hash);
  return { state: toState(record.result as unknown as Record<string, unknown>), replayed: true, dryRun };
}

const subscriptionOf = (command: LifecycleCommand): string | undefined =>
  'subscriptionId' in command ? command.subscriptionId : undefined;

async function read(command: LifecycleCommand): Promise<ReadSet & { namespaceId: number | null }> {
  const subscriptionId = subscriptionOf(command);
  const namespaceId = 'namespaceId' in command ? command.namespaceId : subscriptionId ? namespaceHint.get(subscriptionId) : undefined;
  const set = await readForCommand({ eventId: command.eventId, namespaceId, subscriptionId });
  if (set.idempotency || command.type === 'created' || !subscriptionId) return { ...set, namespaceId: namespaceId ?? null };
  // Addressed by subscription: follow the pointer to the namespace.
  if (!set.pointer) return { ...set, namespaceId: null };
  rememberNamespace(subscriptionId, set.pointer.namespaceId);
  if (set.pointer.namespaceId === namespaceId) return { ...set, namespaceId };
  return { ...set, state: await getState(set.pointer.namespaceId), namespaceId: set.pointer.namespaceId };
}

/**
 * Applies `command` exactly once and answers the resulting state.
 *
 * @example
 * const { state, replayed } = await executeCommand(
 *   { type: 'seatUsageReported', eventId: 'e-1', occurredAt, namespaceId: 42, seatsInUse: 7, measuredAt },
 *   { actor: 'arn:aws:iam::123456789012:role/portal' },
 * );
 */
export async function executeCommand(command: LifecycleCommand, options: CommandOptions): Promise<ExecuteResult> {
  const hash = requestHash(command);
  const dryRun = options.dryRun ?? false;
  const now = options.now ?? (() => new Date());
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const set = await read(command);
    if (set.idempotency) return replay(set.idempotency, hash, dryRun);
    if (set.namespaceId === null) {
      throw notFound(`Subscription ${subscriptionOf(command)} is unknown: send Subscription Created for it first.`);
    }
    if (command.type === 'created' && set.pointer && set.pointer.namespaceId !== command.namespaceId) {
      throw subscriptionTaken(command.subscriptionId, set.pointer.namespaceId);
    }
    const subscriptionId = subscriptionOf(command);
    if (command.type !== 'created' && subscriptionId && set.state?.subscriptionId !== subscriptionId && attempt < MAX_ATTEMPTS) {
      // The pointer and the state were read a moment apart and disagree: a reassociation moved the
      // subscription in between. Read again rather than judge the command against the wrong namespace.
      await backoff(attempt);
      continue;
    }
    const before = set.state ?? emptyState(set.namespaceId);
    const appliedAt = now().toISOString();
    const result = applyCommand(before, command, { appliedAt });
    if (!result.ok) throw conflict(result.rejection.code, result.rejection.message);
    if (dryRun) return { state: result.state, replayed: false, dryRun };
    const after = result.state;
    try {
      await commitCommand({
        before: set.state,
        after,
        history: {
          namespaceId: after.namespaceId,
          version: after.version,
          eventId: command.eventId,
          type: command.type,
          actor: options.actor,
          subscriptionId: after.subscriptionId ?? before.subscriptionId,
          before: set.state,
          after,
          occurredAt: command.occurredAt,
          appliedAt,
        },
        idempotency: {
          eventId: command.eventId,
          requestHash: hash,
          commandType: command.type,
          namespaceId: after.namespaceId,
          result: after,
          appliedAt,
          expiresAt: idempotencyExpiresAt(now()),
        },
        associate:
          command.type === 'created' && !set.pointer
            ? { subscriptionId: command.subscriptionId, namespaceId: command.namespaceId, associatedAt: appliedAt }
            : undefined,
        requireSubscriptionId: command.type === 'created' ? undefined : subscriptionOf(command),
      });
      // The subscription's next command in this process reads the state in its one BatchGetItem.
      if (command.type === 'created') rememberNamespace(command.subscriptionId, command.namespaceId);
      return { state: after, replayed: false, dryRun };
    } catch (error) {
      if (error instanceof DuplicateEventError) return replay(error.record, hash, dryRun);
      if (error instanceof SubscriptionTakenError && command.type === 'created') {
        throw subscriptionTaken(command.subscriptionId, error.pointer?.namespaceId);
      }
      if (!(error instanceof ConcurrentUpdateError)) throw error;
      await backoff(attempt);
    }
  }
  throw concurrentUpdate();
}

function subscriptionTaken(subscriptionId: string, namespaceId: number | undefined): HttpError {
  return conflict(
    'subscription_exists',
    `Subscription ${subscriptionId} is already associated with namespace ${namespaceId ?? 'another namespace'}; ` +
      'to move it, use a force reassociation.',
  );
}
