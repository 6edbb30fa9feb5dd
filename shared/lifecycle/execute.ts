/**
 * Applies one lifecycle command exactly once (shared/platform/exactly-once.ts), by putting it in
 * its namespace's log (./receive.ts, ./domain/log.ts):
 *   read     one consistent BatchGetItem: the state (with the log's bounds), the subscription
 *            pointer, the idempotency record
 *   decide   in order: the rule applied to the state; late: one Query of the entries after its
 *            place, folded again from the state kept before it; older than the log keeps: stale
 *   write    one TransactWriteItems: the state, the command's log entry, the entries folded again,
 *            the history entry and the idempotency record — or, for a stale command, its record
 *            in the history alone
 * A replay answers the stored result; a lost race re-reads and decides again a bounded number of
 * times. A command the rules refuse is kept in the log (it is judged again when a late command
 * lands before it) and answered with its refusal.
 */
import { MAX_REFOLD, sameState } from './domain/log.js';
import { emptyState, publicState } from './domain/rules.js';
import type { LifecycleCommand, NamespaceState, Rejection } from './domain/types.js';
import { readSetting } from '../platform/config.js';
import { IdempotencyConflictError, InvalidInputError } from '../platform/errors.js';
import { idempotencyExpiresAt } from '../platform/dynamodb/idempotency.js';
import { MAX_ATTEMPTS, READ_AGAIN, apply, requestHash as hashOf, runExactlyOnce } from '../platform/exactly-once.js';
import type { Attempt, CommandOptions, Decision, StoredResult } from '../platform/exactly-once.js';
import { CommandRejectedError, UnknownSubscriptionError } from './errors.js';
import { receive } from './receive.js';
import { DuplicateEventError, SubscriptionTakenError, commitCommand, readForCommand, readLogSlice, readState, recordStale, toState } from './store.js';
import type { CommandWrite, HistoryEntry, IdempotencyRecordOf, ReadSet } from './store.js';

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

/** How far after the service clock an instant may lie when nothing is configured. */
export const DEFAULT_MAX_FUTURE_SKEW_SECONDS = 300;

export interface ExecuteOptions extends CommandOptions {
  /** Default: the process's `namespaceHints`. */
  hints?: NamespaceHints;
  /** Default: `MAX_FUTURE_SKEW_SECONDS` (shared/platform/config.ts), else 300. */
  maxFutureSkewSeconds?: number;
}

/**
 * The canonical hash of a command: same eventId with another body is a conflict. A correction's
 * `occurredAt` is the service's clock when it arrived, not part of what the operator sent.
 */
export function requestHash(command: LifecycleCommand): string {
  if (command.type === 'seatStatisticsCorrected') {
    const { occurredAt: _when, ...sent } = command;
    return hashOf(sent);
  }
  return hashOf(command);
}

const subscriptionOf = (command: LifecycleCommand): string | undefined =>
  'subscriptionId' in command ? command.subscriptionId : undefined;

/** The configured skew, when it is a whole number of seconds. */
export function maxFutureSkewSeconds(): number {
  const raw = readSetting('maxFutureSkewSeconds');
  return raw !== undefined && /^\d{1,7}$/.test(raw) ? Number(raw) : DEFAULT_MAX_FUTURE_SKEW_SECONDS;
}

/**
 * Refuses instants after the service clock (beyond the skew) as invalid input: a measurement dated
 * in 2036 would otherwise be the newest forever and every real report after it would lose.
 *
 * @throws InvalidInputError naming each field in the future
 */
export function rejectFutureInstants(command: LifecycleCommand, now: Date, skewSeconds: number): void {
  const latest = now.getTime() + skewSeconds * 1000;
  const instants: Array<[string, string]> = [['occurredAt', command.occurredAt]];
  if (command.type === 'seatUsageReported') instants.push(['measuredAt', command.measuredAt]);
  const problems = instants
    .filter(([, instant]) => Date.parse(instant) > latest)
    .map(([field, instant]) => ({
      field,
      message: `${instant} is after the service's clock (${now.toISOString()}) by more than ${skewSeconds} s: send when it happened, not a future time.`,
    }));
  if (problems.length) throw new InvalidInputError(`Invalid body: check ${problems.map((p) => p.field).join(', ')}.`, problems);
}

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
  return {
    ...set,
    state: current?.state ?? null,
    changedOn: current?.changedOn ?? null,
    log: current?.log ?? { lastKey: null, baseKey: null },
    upgradeBase: current?.upgradeBase ?? null,
    namespaceId: set.pointer.namespaceId,
  };
}

function subscriptionTaken(subscriptionId: string, namespaceId: number | undefined): CommandRejectedError {
  return new CommandRejectedError({
    code: 'subscription_exists',
    message:
      `Subscription ${subscriptionId} is already associated with namespace ${namespaceId ?? 'another namespace'}; ` +
      'to move it, use a force reassociation.',
  });
}

function notHeld(subscriptionId: string, namespaceId: number, held: string | null): CommandRejectedError {
  return new CommandRejectedError({
    code: 'subscription_not_held',
    message:
      `Subscription ${subscriptionId} points at namespace ${namespaceId}, which now holds ${held === null ? 'no subscription' : `subscription ${held}`}; ` +
      'the command was not applied. Check which namespace the customer should be provisioned on, and reassociate if needed.',
  });
}

/** A trial started where an earlier one had ended (judged at the command's place in the log). */
const isReactivation = (command: LifecycleCommand, before: NamespaceState, rejection: Rejection | null): boolean =>
  command.type === 'trialStarted' && rejection === null && before.trialStartsOn !== null && !before.trial;

/** A term's peak before a correction: the current term's or the previous term's, by its start. */
const peakOf = (state: NamespaceState, termStartDate: string): number | null =>
  state.startDate === termStartDate ? state.maxSeatsUsed : state.previousTerm?.startDate === termStartDate ? state.previousTerm.maxSeatsUsed : null;

/** What the command answers: the state, and its refusal when the rules refused it (or it is stale). */
interface Answer {
  state: NamespaceState;
  rejection: Rejection | null;
}

type Write = { kind: 'commit'; write: CommandWrite } | { kind: 'stale'; entry: HistoryEntry } | { kind: 'nothing' };

/**
 * Applies `command` exactly once and answers the resulting state.
 *
 * @throws CommandRejectedError the rules refused it at its place (`stale_event` is settled), or it is older than the log keeps
 * @throws UnknownSubscriptionError no namespace holds the subscription it addresses
 * @throws InvalidInputError an instant after the service's clock
 * @example
 * const { state, replayed } = await executeCommand(
 *   { type: 'seatUsageReported', eventId: 'e-1', occurredAt, namespaceId: 42, seatsInUse: 7, measuredAt },
 *   { actor: 'arn:aws:iam::123456789012:role/portal' },
 * );
 */
export async function executeCommand(command: LifecycleCommand, options: ExecuteOptions): Promise<ExecuteResult> {
  const now = options.now ?? (() => new Date());
  rejectFutureInstants(command, now(), options.maxFutureSkewSeconds ?? maxFutureSkewSeconds());
  const hash = requestHash(command);
  const hints = options.hints ?? namespaceHints;
  const subscriptionId = subscriptionOf(command);

  const decide = async (set: CommandRead, attempt: Attempt): Promise<Decision<Answer, Write>> => {
    if (set.namespaceId === null) throw new UnknownSubscriptionError(subscriptionId!);
    if (command.type === 'created' && set.pointer && set.pointer.namespaceId !== command.namespaceId) {
      throw subscriptionTaken(command.subscriptionId, set.pointer.namespaceId);
    }
    if (command.type !== 'created' && subscriptionId && set.state?.subscriptionId !== subscriptionId) {
      // The pointer and the state were read a moment apart and disagree: a reassociation moved the
      // subscription in between. Read again; if they still disagree, the namespace holds another.
      if (!attempt.last) return READ_AGAIN;
      throw notHeld(subscriptionId, set.namespaceId, set.state?.subscriptionId ?? null);
    }
    const namespaceId = set.namespaceId;
    const head = set.state ?? emptyState(namespaceId);
    const before = set.state ? publicState(set.state) : null;
    const receipt = await receive({ state: head, lastKey: set.log.lastKey, baseKey: set.log.baseKey }, command, (key, max) =>
      readLogSlice(namespaceId, key, max),
    );
    const appliedAt = now().toISOString();
    const entryOf = (fields: Partial<HistoryEntry> & Pick<HistoryEntry, 'version' | 'after' | 'outcome' | 'changed'>): HistoryEntry => ({
      namespaceId,
      eventId: command.eventId,
      type: command.type,
      actor: options.actor,
      subscriptionId: subscriptionId ?? head.subscriptionId,
      before,
      occurredAt: command.occurredAt,
      appliedAt,
      position: receipt.key,
      ...fields,
    });

    if (receipt.kind === 'stale') {
      const rejection: Rejection = {
        code: 'stale_event',
        message:
          receipt.reason === 'too_late'
            ? `${command.type} ${command.eventId} is dated so far back that more than ${MAX_REFOLD} later commands would have to be folded again: ` +
              'it was recorded in the namespace history but not applied. Ask support to correct the statistics if it matters.'
            : `${command.type} ${command.eventId} is dated before what the namespace's log keeps (the previous term's start): ` +
              'it can no longer change the current or the previous term, and was recorded in the history but not applied.',
      };
      const shown = publicState(head);
      return apply({ state: shown, rejection }, { kind: 'stale', entry: entryOf({ version: head.version, after: shown, outcome: 'stale', changed: false, rejection }) });
    }
    if (receipt.kind === 'duplicate') {
      // The log holds this command already (its idempotency record has expired): it changes nothing.
      if (receipt.entry.command && requestHash(receipt.entry.command) !== hash) throw new IdempotencyConflictError(command.eventId);
      return apply({ state: publicState(head), rejection: receipt.entry.rejection }, { kind: 'nothing' });
    }
    const { fold } = receipt;
    const rejection = fold.entry.rejection;
    // Another subscription's active term: the command concerns that subscription, not this log.
    if (rejection?.code === 'namespace_has_subscription') throw new CommandRejectedError(rejection);
    const after = { ...fold.head, version: head.version + 1, updatedAt: appliedAt };
    const shown = publicState(after);
    const changed = !sameState(head, fold.head);
    return apply(
      { state: shown, rejection },
      {
        kind: 'commit',
        write: {
          before: set.state,
          changedOn: set.changedOn,
          after,
          log: { lastKey: receipt.lastKey, baseKey: set.log.baseKey },
          entry: fold.entry,
          rewritten: fold.rewritten,
          upgradeBase: set.upgradeBase,
          history: entryOf({
            version: after.version,
            subscriptionId: after.subscriptionId ?? head.subscriptionId,
            after: shown,
            outcome: rejection ? 'refused' : 'applied',
            changed,
            ...(rejection ? { rejection } : {}),
            ...(receipt.late ? { refolded: receipt.refolded } : {}),
            ...(isReactivation(command, fold.before, rejection) ? { reactivation: true } : {}),
          }),
          idempotency: {
            eventId: command.eventId,
            requestHash: hash,
            commandType: command.type,
            namespaceId,
            result: shown,
            ...(rejection ? { rejection } : {}),
            appliedAt,
            expiresAt: idempotencyExpiresAt(now()),
          },
          associate:
            command.type === 'created' && !set.pointer
              ? { subscriptionId: command.subscriptionId, namespaceId: command.namespaceId, associatedAt: appliedAt }
              : undefined,
          // An applied correction is also a record of the corrections report, with the operator.
          correction:
            command.type === 'seatStatisticsCorrected' && !rejection
              ? {
                  eventId: command.eventId,
                  namespaceId,
                  subscriptionId: head.subscriptionId,
                  termStartDate: command.termStartDate,
                  maxSeatsUsed: command.maxSeatsUsed,
                  previousMaxSeatsUsed: peakOf(head, command.termStartDate),
                  reason: command.reason,
                  note: command.note,
                  actor: options.actor,
                  appliedAt,
                }
              : undefined,
          requireSubscriptionId: command.type === 'created' ? undefined : subscriptionId,
        },
      },
    );
  };

  const commit = async (write: Write): Promise<void> => {
    if (write.kind === 'nothing') return;
    if (write.kind === 'stale') return recordStale(write.entry);
    try {
      await commitCommand(write.write);
    } catch (error) {
      if (error instanceof SubscriptionTakenError && command.type === 'created') {
        throw subscriptionTaken(command.subscriptionId, error.pointer?.namespaceId);
      }
      throw error;
    }
    // The subscription's next command in this process reads the state in its one BatchGetItem.
    if (command.type === 'created') hints.remember(command.subscriptionId, command.namespaceId);
  };

  const stored = (record: IdempotencyRecordOf): StoredResult<IdempotencyRecordOf> => ({ eventId: record.eventId, requestHash: record.requestHash, result: record });
  const outcome = await runExactlyOnce<CommandRead, IdempotencyRecordOf, Answer, Write>({
    hash,
    dryRun: options.dryRun,
    what: 'this namespace',
    read: () => read(command, hints),
    storedIn: (set) => (set.idempotency ? stored(set.idempotency) : null),
    replay: (record) => ({ state: toState(record.result as unknown as Record<string, unknown>), rejection: record.rejection ?? null }),
    decide,
    commit,
    duplicateIn: (error) => (error instanceof DuplicateEventError ? stored(error.record) : null),
  });
  if (outcome.result.rejection) throw new CommandRejectedError(outcome.result.rejection);
  return { state: outcome.result.state, replayed: outcome.replayed, dryRun: outcome.dryRun };
}
