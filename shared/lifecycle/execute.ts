/**
 * Applies one lifecycle command exactly once (shared/platform/exactly-once.ts), by putting it in
 * its namespace's log (./receive.ts, ./domain/log.ts):
 *   read     one consistent BatchGetItem: the state (with the log's bounds), the subscription
 *            pointer, the idempotency record. A command addressed by subscription does not know
 *            its namespace: it decides from the pointer's copy of the state item (./store.ts),
 *            which every state write keeps in step. A pointer without a copy (written before
 *            copies) costs a GetItem of the state; a copy behind the state fails the write's
 *            condition, and the next attempt reads the state item itself
 *   decide   in order: the rule applied to the state; late: one Query of the entries after its
 *            place, folded again from the state kept before it; older than the log keeps: stale
 *   write    one TransactWriteItems: the state, the command's log entry, the entries folded again,
 *            the history entry, the idempotency record and the pointer's copy of the state — or,
 *            for a stale command, its record in the history alone
 * A replay answers the stored result; a lost race re-reads and decides again a bounded number of
 * times. A command the rules refuse is kept in the log (it is judged again when a late command
 * lands before it) and answered with its refusal. So, in a fresh process as in a warm one: 2 calls
 * a command in order, 1 a replay, 3 a late one (its Query); a copy behind its state 4.
 */
import { MAX_REFOLD, sameState } from './domain/log.js';
import { emptyState, publicState } from './domain/rules.js';
import type { FoldState, LifecycleCommand, NamespaceState, Rejection } from './domain/types.js';
import { readSetting } from '../platform/config.js';
import { IdempotencyConflictError, InvalidInputError } from '../platform/errors.js';
import { idempotencyExpiresAt } from '../platform/dynamodb/idempotency.js';
import { MAX_ATTEMPTS, READ_AGAIN, apply, requestHash as hashOf, runExactlyOnce } from '../platform/exactly-once.js';
import type { Attempt, CommandOptions, Decision, StoredResult } from '../platform/exactly-once.js';
import { CommandRejectedError, UnknownSubscriptionError } from './errors.js';
import { receive } from './receive.js';
import {
  DuplicateEventError,
  PointerCopyRefusedError,
  SubscriptionTakenError,
  commitCommand,
  readForCommand,
  readLogSlice,
  readState,
  recordStale,
  toState,
} from './store.js';
import type { CommandWrite, HistoryEntry, IdempotencyRecordOf, ReadSet, StateRead } from './store.js';

export interface ExecuteResult {
  state: NamespaceState;
  /** The same eventId was applied before: this is the stored result, nothing was written. */
  replayed: boolean;
  dryRun: boolean;
}

export { MAX_ATTEMPTS };

/** How far after the service clock an instant may lie when nothing is configured. */
export const DEFAULT_MAX_FUTURE_SKEW_SECONDS = 300;

export interface ExecuteOptions extends CommandOptions {
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

/**
 * What one read found: the read set, the namespace the command applies to (null: unknown
 * subscription), and whether its state is the pointer's copy rather than the state item.
 */
type CommandRead = ReadSet & { namespaceId: number | null; fromCopy: boolean };

/** The state fields of a read set, from a state item or a pointer's copy of it (null: never stored). */
const withState = (set: ReadSet, read: StateRead | null): ReadSet => ({
  ...set,
  state: read?.state ?? null,
  changedOn: read?.changedOn ?? null,
  log: read?.log ?? { lastKey: null, baseKey: null },
  upgradeBase: read?.upgradeBase ?? null,
});

/**
 * Reads what `command` needs. A command addressed by subscription takes its state from the
 * pointer's copy when `trustCopy`; otherwise, when `namespaceId` says where the pointer named on
 * an earlier attempt, the state item is read in the same call, else after the pointer.
 */
async function read(command: LifecycleCommand, options: { trustCopy: boolean; namespaceId?: number }): Promise<CommandRead> {
  const subscriptionId = subscriptionOf(command);
  const namespaceId = 'namespaceId' in command ? command.namespaceId : options.namespaceId;
  const set = await readForCommand({ eventId: command.eventId, namespaceId, subscriptionId });
  if (set.idempotency || command.type === 'created' || !subscriptionId) return { ...set, namespaceId: namespaceId ?? null, fromCopy: false };
  // Addressed by subscription: follow the pointer to the namespace.
  if (!set.pointer) return { ...set, namespaceId: null, fromCopy: false };
  if (set.pointer.namespaceId === namespaceId) return { ...set, namespaceId, fromCopy: false };
  if (options.trustCopy && set.copy) return { ...withState(set, set.copy), namespaceId: set.pointer.namespaceId, fromCopy: true };
  return { ...withState(set, await readState(set.pointer.namespaceId)), namespaceId: set.pointer.namespaceId, fromCopy: false };
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

/**
 * The subscription whose pointer gets a copy of the state this command writes: the one a creation
 * associates, the one the command was addressed by (its pointer was read naming the namespace, and
 * the state's version condition proves it still does), or the one the state says carries a copy.
 */
function copyTarget(command: LifecycleCommand, set: CommandRead, after: FoldState): string | undefined {
  if (command.type === 'created') return command.subscriptionId;
  if ('subscriptionId' in command) return command.subscriptionId;
  return set.pointerCopy !== null && set.pointerCopy === after.subscriptionId ? set.pointerCopy : undefined;
}

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

    // A stale or duplicate command writes nothing conditional on the state: its answer must not
    // come from a copy that may be behind. Read the state item itself.
    if (set.fromCopy && receipt.kind !== 'folded' && !attempt.last) return READ_AGAIN;
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
          copyTo: copyTarget(command, set, after),
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
      await commitCommand(write.write).catch((error: unknown) => {
        // The pointer the state said carries its copy names another namespace now (never by this
        // service's writes): write without the copy, which also stops the state saying so.
        if (error instanceof PointerCopyRefusedError) return commitCommand({ ...write.write, copyTo: undefined });
        throw error;
      });
    } catch (error) {
      if (error instanceof SubscriptionTakenError && command.type === 'created') {
        throw subscriptionTaken(command.subscriptionId, error.pointer?.namespaceId);
      }
      throw error;
    }
  };

  const stored = (record: IdempotencyRecordOf): StoredResult<IdempotencyRecordOf> => ({ eventId: record.eventId, requestHash: record.requestHash, result: record });
  // The first attempt trusts the pointer's copy (a dry run writes nothing that would check it);
  // after a lost race the state item is read, where the pointer named it on the previous attempt.
  let attempts = 0;
  let pointedAt: number | undefined;
  const readOnce = async (): Promise<CommandRead> => {
    const set = await read(command, { trustCopy: attempts++ === 0 && !options.dryRun, namespaceId: pointedAt });
    pointedAt = set.pointer?.namespaceId;
    return set;
  };
  const outcome = await runExactlyOnce<CommandRead, IdempotencyRecordOf, Answer, Write>({
    hash,
    dryRun: options.dryRun,
    what: 'this namespace',
    read: readOnce,
    storedIn: (set) => (set.idempotency ? stored(set.idempotency) : null),
    replay: (record) => ({ state: toState(record.result as unknown as Record<string, unknown>), rejection: record.rejection ?? null }),
    decide,
    commit,
    duplicateIn: (error) => (error instanceof DuplicateEventError ? stored(error.record) : null),
  });
  if (outcome.result.rejection) throw new CommandRejectedError(outcome.result.rejection);
  return { state: outcome.result.state, replayed: outcome.replayed, dryRun: outcome.dryRun };
}
