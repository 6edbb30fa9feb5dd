/**
 * Applies one lifecycle command exactly once (shared/platform/exactly-once.ts): read (one
 * consistent BatchGetItem), decide with the pure domain rule, write (one TransactWriteItems). A
 * replay answers the stored result; a lost race re-reads and tries again a bounded number of times.
 */
import { applyCommand, emptyState } from './domain/rules.js';
import type { LifecycleCommand, NamespaceState } from './domain/types.js';
import { idempotencyExpiresAt } from '../platform/dynamodb/idempotency.js';
import { MAX_ATTEMPTS, READ_AGAIN, apply, requestHash as hashOf, runExactlyOnce } from '../platform/exactly-once.js';
import type { Attempt, CommandOptions, Decision } from '../platform/exactly-once.js';
import { CommandRejectedError, UnknownSubscriptionError } from './errors.js';
import { DuplicateEventError, SubscriptionTakenError, commitCommand, readForCommand, readState, toState } from './store.js';
import type { CommandWrite, ReadSet } from './store.js';

export interface ExecuteResult {
  state: NamespaceState;
  /** The same eventId was applied before: this is the stored result, nothing was written. */
  replayed: boolean;
  dryRun: boolean;
}

export { MAX_ATTEMPTS };

/**
 * Which namespace each subscription was last seen on, in this process. Only a hint that lets the
 * read fetch the state in the same BatchGetItem: the pointer is read too, and the write is
 * conditional on the state still holding the subscription, so a stale hint costs one more read,
 * never a wrong write. Bounded: the oldest entry goes first.
 *
 * @example
 * const hints = new NamespaceHints(100);
 * await executeCommand(command, { actor, hints });
 */
export class NamespaceHints {
  private readonly namespaces = new Map<string, number>();

  constructor(readonly limit = 10_000) {}

  get(subscriptionId: string): number | undefined {
    return this.namespaces.get(subscriptionId);
  }

  remember(subscriptionId: string, namespaceId: number): void {
    this.namespaces.delete(subscriptionId);
    if (this.namespaces.size >= this.limit) this.namespaces.delete(this.namespaces.keys().next().value!);
    this.namespaces.set(subscriptionId, namespaceId);
  }

  clear(): void {
    this.namespaces.clear();
  }

  get size(): number {
    return this.namespaces.size;
  }
}

/** The process's hints, used when a caller passes none. */
export const namespaceHints = new NamespaceHints();

export interface ExecuteOptions extends CommandOptions {
  /** Default: the process's `namespaceHints`. */
  hints?: NamespaceHints;
}

/** The canonical hash of a command: same eventId with another body is a conflict. */
export function requestHash(command: LifecycleCommand): string {
  return hashOf(command);
}

const subscriptionOf = (command: LifecycleCommand): string | undefined =>
  'subscriptionId' in command ? command.subscriptionId : undefined;

/** What one read found: the read set, and the namespace the command applies to (null: unknown subscription). */
type CommandRead = ReadSet & { namespaceId: number | null };

async function read(command: LifecycleCommand, hints: NamespaceHints): Promise<CommandRead> {
  const subscriptionId = subscriptionOf(command);
  const namespaceId = 'namespaceId' in command ? command.namespaceId : subscriptionId ? hints.get(subscriptionId) : undefined;
  const set = await readForCommand({ eventId: command.eventId, namespaceId, subscriptionId });
  if (set.idempotency || command.type === 'created' || !subscriptionId) return { ...set, namespaceId: namespaceId ?? null };
  // Addressed by subscription: follow the pointer to the namespace.
  if (!set.pointer) return { ...set, namespaceId: null };
  hints.remember(subscriptionId, set.pointer.namespaceId);
  if (set.pointer.namespaceId === namespaceId) return { ...set, namespaceId };
  const current = await readState(set.pointer.namespaceId);
  return { ...set, state: current?.state ?? null, changedOn: current?.changedOn ?? null, namespaceId: set.pointer.namespaceId };
}

function subscriptionTaken(subscriptionId: string, namespaceId: number | undefined): CommandRejectedError {
  return new CommandRejectedError({
    code: 'subscription_exists',
    message:
      `Subscription ${subscriptionId} is already associated with namespace ${namespaceId ?? 'another namespace'}; ` +
      'to move it, use a force reassociation.',
  });
}

/**
 * Applies `command` exactly once and answers the resulting state.
 *
 * @throws CommandRejectedError the rules refused it (`stale_event` is settled; `invalid_dates` is invalid input)
 * @throws UnknownSubscriptionError no namespace holds the subscription it addresses
 * @example
 * const { state, replayed } = await executeCommand(
 *   { type: 'seatUsageReported', eventId: 'e-1', occurredAt, namespaceId: 42, seatsInUse: 7, measuredAt },
 *   { actor: 'arn:aws:iam::123456789012:role/portal' },
 * );
 */
export async function executeCommand(command: LifecycleCommand, options: ExecuteOptions): Promise<ExecuteResult> {
  const hash = requestHash(command);
  const now = options.now ?? (() => new Date());
  const hints = options.hints ?? namespaceHints;
  const subscriptionId = subscriptionOf(command);

  const decide = (set: CommandRead, attempt: Attempt): Decision<NamespaceState, CommandWrite> => {
    if (set.namespaceId === null) throw new UnknownSubscriptionError(subscriptionId!);
    if (command.type === 'created' && set.pointer && set.pointer.namespaceId !== command.namespaceId) {
      throw subscriptionTaken(command.subscriptionId, set.pointer.namespaceId);
    }
    if (command.type !== 'created' && subscriptionId && set.state?.subscriptionId !== subscriptionId && !attempt.last) {
      // The pointer and the state were read a moment apart and disagree: a reassociation moved the
      // subscription in between. Read again rather than judge the command against the wrong namespace.
      return READ_AGAIN;
    }
    const before = set.state ?? emptyState(set.namespaceId);
    const appliedAt = now().toISOString();
    const result = applyCommand(before, command, { appliedAt });
    if (!result.ok) throw new CommandRejectedError(result.rejection);
    const after = result.state;
    return apply(after, {
      before: set.state,
      changedOn: set.changedOn,
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
      requireSubscriptionId: command.type === 'created' ? undefined : subscriptionId,
    });
  };

  const commit = async (write: CommandWrite): Promise<void> => {
    try {
      await commitCommand(write);
    } catch (error) {
      if (error instanceof SubscriptionTakenError && command.type === 'created') {
        throw subscriptionTaken(command.subscriptionId, error.pointer?.namespaceId);
      }
      throw error;
    }
    // The subscription's next command in this process reads the state in its one BatchGetItem.
    if (command.type === 'created') hints.remember(command.subscriptionId, command.namespaceId);
  };

  const outcome = await runExactlyOnce({
    hash,
    dryRun: options.dryRun,
    what: 'this namespace',
    read: () => read(command, hints),
    storedIn: (set) => set.idempotency,
    replay: (stored) => toState(stored as unknown as Record<string, unknown>),
    decide,
    commit,
    duplicateIn: (error) => (error instanceof DuplicateEventError ? error.record : null),
  });
  return { state: outcome.result, replayed: outcome.replayed, dryRun: outcome.dryRun };
}
