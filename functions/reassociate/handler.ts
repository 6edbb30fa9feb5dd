/**
 * POST /v1/subscriptions/{subscriptionId}/reassociations (operators): moves a subscription to
 * another namespace with a stated reason, or answers what would change (dryRun).
 */
import { reassociate } from '../../shared/reassociation/reassociate.js';
import { reassociationBody, reassociationPath } from '../../shared/reassociation/schemas.js';
import { parseBody, parseWith, recordedActor } from '../../shared/platform/http/handler.js';
import { operatorHandler } from '../../shared/platform/http/operator-token.js';
import { countReassociation } from '../../shared/platform/metrics.js';
import { dryRunQuery } from '../../shared/platform/http/query.js';

export const handler = operatorHandler(
  async (event, { actor, log }) => {
    const { subscriptionId } = parseWith(reassociationPath, event.pathParameters ?? {}, 'path');
    const query = parseWith(dryRunQuery, event.queryStringParameters ?? {}, 'query');
    const body = parseBody(event, reassociationBody);
    const dryRun = body.dryRun === true || query.dryRun === 'true';
    const { result, replayed } = await reassociate(
      {
        eventId: body.eventId,
        subscriptionId,
        targetNamespaceId: body.targetNamespaceId,
        reason: body.reason,
        note: body.note,
        replacePaid: body.replacePaid ?? false,
      },
      { actor: recordedActor(actor), dryRun },
    );
    countReassociation(body.reason, { replayed, dryRun: result.dryRun });
    log.info('reassociation handled', {
      eventId: body.eventId,
      subscriptionId,
      sourceNamespaceId: result.before.source.namespaceId,
      targetNamespaceId: body.targetNamespaceId,
      reason: body.reason,
      actor: actor.id,
      dryRun: result.dryRun,
      replayed,
      warnings: result.warnings.map((w) => w.code),
    });
    return {
      body: result,
      headers: { 'idempotent-replayed': String(replayed), ...(result.dryRun ? { 'dry-run': 'true' } : {}) },
    };
  },
);
