/**
 * Applies a force reassociation exactly once: read (the idempotency record, the pointer, both
 * states), decide with the pure rule, write (one TransactWriteItems). A replay answers the stored
 * result; a lost race re-reads and decides again a bounded number of times, then answers 409.
 */
import { planReassociation } from './domain.js';
import type { ReassociationCommand, ReassociationPlan } from './domain.js';
import { conflict, notFound } from '../platform/http/errors.js';
import { ConcurrentUpdateError } from '../platform/dynamodb/errors.js';
import { idempotencyExpiresAt } from '../platform/dynamodb/idempotency.js';
import type { StoredIdempotencyRecord } from '../platform/dynamodb/idempotency.js';
import {
  DuplicateReassociationError,
  commitReassociation,
  lastDetachment,
  readForReassociation,
} from './store.js';
import type { ReassociationHistoryEntry, ReassociationResult } from './store.js';
import { MAX_ATTEMPTS, assertSameRequest, backoff, concurrentUpdate, requestHash } from '../platform/exactly-once.js';
import type { CommandOptions } from '../platform/exactly-once.js';

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

function replay(record: StoredIdempotencyRecord<unknown>, hash: string): ReassociateOutcome {
  assertSameRequest(record, hash);
  return { result: record.result as ReassociationResult, replayed: true };
}

/**
 * Moves a subscription to another namespace, with its term's statistics, in one transaction.
 *
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
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const set = await readForReassociation(command);
    if (set.idempotency) return replay(set.idempotency, hash);
    if (!set.pointer) throw await unknownSubscription(command.subscriptionId);
    const appliedAt = now().toISOString();
    const decision = planReassociation({
      command,
      sourceNamespaceId: set.pointer.namespaceId,
      source: set.source,
      target: set.target,
      appliedAt,
    });
    if (!decision.ok) {
      // The pointer and the states are read a moment apart: a concurrent move can make them
      // disagree for an instant. Read again before calling the association broken.
      if (decision.rejection.code === 'association_broken' && attempt < MAX_ATTEMPTS) {
        await backoff(attempt);
        continue;
      }
      throw conflict(decision.rejection.code, decision.rejection.message);
    }
    const { plan } = decision;
    const result: ReassociationResult = { dryRun, before: plan.before, after: plan.after, warnings: plan.warnings };
    if (dryRun) return { result, replayed: false };
    const stored: ReassociationResult = { ...result, dryRun: false };
    // The displaced subscription's pointer is only deleted while it still names the target.
    const detach =
      plan.displaced && set.displacedPointer?.namespaceId === command.targetNamespaceId
        ? {
            subscriptionId: plan.displaced.subscriptionId,
            namespaceId: command.targetNamespaceId,
            detachedAt: appliedAt,
            eventId: command.eventId,
            actor: options.actor,
            replacedBySubscriptionId: command.subscriptionId,
          }
        : null;
    try {
      await commitReassociation({
        sourceBefore: plan.before.source,
        targetBefore: plan.before.target,
        sourceAfter: plan.after.source,
        targetAfter: plan.after.target,
        history: {
          source: historyEntry('source', command, plan, options.actor, appliedAt),
          target: historyEntry('target', command, plan, options.actor, appliedAt),
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
          actor: options.actor,
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
          requestHash: hash,
          commandType: REASSOCIATION_COMMAND_TYPE,
          namespaceId: command.targetNamespaceId,
          result: stored,
          appliedAt,
          expiresAt: idempotencyExpiresAt(now()),
        },
      });
      return { result: stored, replayed: false };
    } catch (error) {
      if (error instanceof DuplicateReassociationError) return replay(error.record, hash);
      if (!(error instanceof ConcurrentUpdateError)) throw error;
      await backoff(attempt);
    }
  }
  throw concurrentUpdate(`subscription ${command.subscriptionId} and its namespaces`);
}

function historyEntry(
  role: 'source' | 'target',
  command: ReassociationCommand,
  plan: ReassociationPlan,
  actor: string,
  appliedAt: string,
): ReassociationHistoryEntry {
  const before = plan.before[role];
  const after = plan.after[role];
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

async function unknownSubscription(subscriptionId: string) {
  const detachment = await lastDetachment(subscriptionId);
  if (detachment) {
    return notFound(
      `Subscription ${subscriptionId} has no namespace: reassociation ${detachment.eventId} replaced it on namespace ` +
        `${detachment.namespaceId} with ${detachment.replacedBySubscriptionId} at ${detachment.detachedAt}. ` +
        'Send Subscription Created for it on the namespace it belongs to.',
    );
  }
  return notFound(`Subscription ${subscriptionId} is unknown: send Subscription Created for it first.`);
}
