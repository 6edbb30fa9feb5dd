/**
 * Applies one lifecycle command exactly once: read (one consistent BatchGetItem), decide with the
 * pure domain rule, write (one TransactWriteItems). A replay answers the stored result; a lost race
 * re-reads and tries again a bounded number of times.
 */
import { createHash } from 'node:crypto';
import { applyCommand, emptyState } from '../domain/rules.js';
import type { LifecycleCommand, NamespaceState } from '../domain/types.js';
import { HttpError, conflict, notFound } from '../http/errors.js';
import { ConcurrentUpdateError } from '../store/errors.js';
import {
  DuplicateEventError,
  IDEMPOTENCY_TTL_DAYS,
  SubscriptionTakenError,
  commitCommand,
  getState,
  readForCommand,
} from '../store/namespace-store.js';
import type { IdempotencyRecord, ReadSet } from '../store/namespace-store.js';

export interface ExecuteOptions {
  /** Who sent it: a service principal, an operator, or the EventBridge rule. */
  actor: string;
  /** Validate and compute the resulting state, write nothing. */
  dryRun?: boolean;
  now?: () => Date;
}

export interface ExecuteResult {
  state: NamespaceState;
  /** The same eventId was applied before: this is the stored result, nothing was written. */
  replayed: boolean;
  dryRun: boolean;
}

/** Attempts of read → decide → write before a contended namespace answers 409 `concurrent_update`. */
export const MAX_ATTEMPTS = 8;

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
  return createHash('sha256').update(canonicalJson(command)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function replay(record: IdempotencyRecord, hash: string, dryRun: boolean): ExecuteResult {
  if (record.requestHash !== hash) {
    throw conflict(
      'idempotency_conflict',
      `eventId ${record.eventId} was already used for a different request; send a new eventId for a new change.`,
    );
  }
  return { state: record.result, replayed: true, dryRun };
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
export async function executeCommand(command: LifecycleCommand, options: ExecuteOptions): Promise<ExecuteResult> {
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
          expiresAt: Math.floor(now().getTime() / 1000) + IDEMPOTENCY_TTL_DAYS * 86_400,
        },
        associate:
          command.type === 'created' && !set.pointer
            ? { subscriptionId: command.subscriptionId, namespaceId: command.namespaceId, associatedAt: appliedAt }
            : undefined,
        requireSubscriptionId: command.type === 'created' ? undefined : subscriptionOf(command),
      });
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
  throw new HttpError(
    409,
    'concurrent_update',
    'Too many concurrent changes to this namespace; nothing was written. Retry the same request.',
  );
}

function subscriptionTaken(subscriptionId: string, namespaceId: number | undefined): HttpError {
  return conflict(
    'subscription_exists',
    `Subscription ${subscriptionId} is already associated with namespace ${namespaceId ?? 'another namespace'}; ` +
      'to move it, use a force reassociation.',
  );
}

const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 5 * 2 ** attempt)));
