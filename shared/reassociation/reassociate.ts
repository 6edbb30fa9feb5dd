/**
 * Applies a force reassociation exactly once: read (the idempotency record, the pointer, both
 * states), decide with the pure rule, write (one TransactWriteItems). A replay answers the stored
 * result; a lost race re-reads and decides again a bounded number of times, then answers 409.
 */
import { baseKey } from '../lifecycle/domain/log.js';
import { publicState } from '../lifecycle/domain/rules.js';
import { planReassociation } from './domain.js';
import type { ReassociationCommand, ReassociationPlan } from './domain.js';
import { idempotencyExpiresAt } from '../platform/dynamodb/idempotency.js';
import { READ_AGAIN, apply, requestHash, runExactlyOnce } from '../platform/exactly-once.js';
import type { CommandOptions } from '../platform/exactly-once.js';
import { ReassociationRejectedError, SubscriptionWithoutNamespaceError } from './errors.js';
import { DuplicateReassociationError, commitReassociation, lastDetachment, readForReassociation } from './store.js';
import type { ReassociationHistoryEntry, ReassociationReadSet, ReassociationResult, ReassociationWrite } from './store.js';

export const REASSOCIATION_COMMAND_TYPE = 'reassociated';

export interface ReassociateOutcome {
  result: ReassociationResult;
  /** The same eventId was applied before: the stored result, nothing was written. */
  replayed: boolean;
}

/** The hash stored with the idempotency record: the request as the operator sent it, without dryRun. */
export function reassociationHash(command: ReassociationCommand): string {
  return requestHash({ type: REASSOCIATION_COMMAND_TYPE, ...command });
}

/**
 * Moves a subscription to another namespace, with its term's statistics, in one transaction.
 *
 * @throws ReassociationRejectedError a guard rail refused it (409 with the rule's code)
 * @throws SubscriptionWithoutNamespaceError no namespace holds the subscription (404)
 * @example
 * const { result } = await reassociate(
 *   { eventId: 'r-1', subscriptionId: 'A-S1', targetNamespaceId: 8, reason: 'reseller_provisioning',
 *     note: 'Reseller provisioned it onto its own group', replacePaid: false },
 *   { actor: 'operator-sub', dryRun: true },
 * );
 * result.after.target; // the term on namespace 8, statistics unchanged
 */
export async function reassociate(command: ReassociationCommand, options: CommandOptions): Promise<ReassociateOutcome> {
  const hash = reassociationHash(command);
  const dryRun = options.dryRun ?? false;
  const now = options.now ?? (() => new Date());
  const outcome = await runExactlyOnce({
    hash,
    dryRun,
    what: `subscription ${command.subscriptionId} and its namespaces`,
    read: () => readForReassociation(command),
    storedIn: (set) => set.idempotency,
    replay: (stored) => stored as ReassociationResult,
    decide: async (set, attempt) => {
      // Never created, or replaced on its namespace by another reassociation: say which.
      if (!set.pointer) throw new SubscriptionWithoutNamespaceError(command.subscriptionId, await lastDetachment(command.subscriptionId));
      const appliedAt = now().toISOString();
      const decision = planReassociation({
        command,
        sourceNamespaceId: set.pointer.namespaceId,
        source: set.source,
        target: set.target,
        targetMeasurements: set.targetMeasurements,
        appliedAt,
      });
      if (!decision.ok) {
        // The pointer and the states are read a moment apart: a concurrent move can make them
        // disagree for an instant. Read again before calling the association broken.
        if (decision.rejection.code === 'association_broken' && !attempt.last) return READ_AGAIN;
        throw new ReassociationRejectedError(command.subscriptionId, decision.rejection);
      }
      const { plan } = decision;
      const result = resultOf(plan, dryRun);
      return apply(result, write(command, plan, set, { actor: options.actor, appliedAt, hash, expiresAt: idempotencyExpiresAt(now()) }));
    },
    commit: (change) => commitReassociation(change),
    duplicateIn: (error) => (error instanceof DuplicateReassociationError ? error.record : null),
  });
  return { result: outcome.result, replayed: outcome.replayed };
}

/** What the route answers: the states as the API shows them. */
function resultOf(plan: ReassociationPlan, dryRun: boolean): ReassociationResult {
  return {
    dryRun,
    before: { source: publicState(plan.before.source), target: plan.before.target && publicState(plan.before.target) },
    after: { source: publicState(plan.after.source), target: publicState(plan.after.target) },
    warnings: plan.warnings,
  };
}

/** The one transaction of an applied plan. */
function write(
  command: ReassociationCommand,
  plan: ReassociationPlan,
  set: ReassociationReadSet,
  context: { actor: string; appliedAt: string; hash: string; expiresAt: number },
): ReassociationWrite {
  const { actor, appliedAt } = context;
  const stored = resultOf(plan, false);
  // Both logs start again after the move: a command dated before it is stale on either namespace.
  const base = (role: 'source' | 'target') => ({
    key: baseKey(set.log[role].lastKey, appliedAt, `reassociated-${command.eventId}`),
    command: null,
    state: plan.after[role],
    rejection: null,
  });
  // The displaced subscription's pointer is only deleted while it still names the target.
  const detach =
    plan.displaced && set.displacedPointer?.namespaceId === command.targetNamespaceId
      ? {
          subscriptionId: plan.displaced.subscriptionId,
          namespaceId: command.targetNamespaceId,
          detachedAt: appliedAt,
          eventId: command.eventId,
          actor,
          replacedBySubscriptionId: command.subscriptionId,
        }
      : null;
  return {
    sourceBefore: plan.before.source,
    targetBefore: plan.before.target,
    changedOn: set.changedOn,
    sourceAfter: plan.after.source,
    targetAfter: plan.after.target,
    bases: { source: base('source'), target: base('target') },
    history: {
      source: historyEntry('source', command, plan, actor, appliedAt),
      target: historyEntry('target', command, plan, actor, appliedAt),
    },
    pointer: { subscriptionId: command.subscriptionId, namespaceId: command.targetNamespaceId, associatedAt: appliedAt },
    detach,
    record: {
      eventId: command.eventId,
      subscriptionId: command.subscriptionId,
      sourceNamespaceId: plan.before.source.namespaceId,
      targetNamespaceId: command.targetNamespaceId,
      reason: command.reason,
      note: command.note,
      actor,
      appliedAt,
      replacePaid: command.replacePaid,
      targetWasInTrial: plan.targetWasInTrial,
      displacedSubscriptionId: plan.displaced?.subscriptionId ?? null,
      displacedWasActivePaid: plan.displaced?.wasActivePaid ?? false,
      sourceVersion: plan.after.source.version,
      targetVersion: plan.after.target.version,
      warnings: plan.warnings.map((w) => w.code),
    },
    idempotency: {
      eventId: command.eventId,
      requestHash: context.hash,
      commandType: REASSOCIATION_COMMAND_TYPE,
      namespaceId: command.targetNamespaceId,
      result: stored,
      appliedAt,
      expiresAt: context.expiresAt,
    },
  };
}

function historyEntry(
  role: 'source' | 'target',
  command: ReassociationCommand,
  plan: ReassociationPlan,
  actor: string,
  appliedAt: string,
): ReassociationHistoryEntry {
  const before = plan.before[role] && publicState(plan.before[role]);
  const after = publicState(plan.after[role]);
  return {
    namespaceId: after.namespaceId,
    version: after.version,
    eventId: command.eventId,
    type: REASSOCIATION_COMMAND_TYPE,
    actor,
    subscriptionId: command.subscriptionId,
    before,
    after,
    occurredAt: appliedAt,
    appliedAt,
    reassociation: {
      role,
      fromNamespaceId: plan.before.source.namespaceId,
      toNamespaceId: command.targetNamespaceId,
      reason: command.reason,
      displacedSubscriptionId: plan.displaced?.subscriptionId ?? null,
    },
  };
}
