/**
 * POST /v1/namespaces/{namespaceId}/seat-statistics/corrections (support operators): sets a term's
 * peak with a reason and a note, recorded with the operator's identity, or answers what it would
 * produce (`dryRun`).
 */
import { correctSeatStatistics } from '../../shared/lifecycle/corrections.js';
import { correctionBody } from '../../shared/lifecycle/schemas.js';
import { parseBody, parseWith, recordedActor } from '../../shared/platform/http/handler.js';
import { operatorHandler } from '../../shared/platform/http/operator-token.js';
import { countCommand } from '../../shared/platform/metrics.js';
import { dryRunQuery } from '../../shared/platform/http/query.js';
import { namespacePath } from '../../shared/platform/schemas.js';

export const handler = operatorHandler(
  async (event, { actor, log }) => {
    const { namespaceId } = parseWith(namespacePath, event.pathParameters ?? {}, 'path');
    const query = parseWith(dryRunQuery, event.queryStringParameters ?? {}, 'query');
    const body = parseBody(event, correctionBody);
    const result = await correctSeatStatistics(namespaceId, body, { actor: recordedActor(actor), dryRun: query.dryRun === 'true' });
    countCommand('seatStatisticsCorrected', result);
    log.info('seat statistics corrected', {
      eventId: body.eventId,
      namespaceId,
      termStartDate: body.termStartDate,
      maxSeatsUsed: body.maxSeatsUsed,
      reason: body.reason,
      actor: actor.id,
      replayed: result.replayed,
      dryRun: result.dryRun,
    });
    return {
      body: result.state,
      headers: { 'idempotent-replayed': String(result.replayed), ...(result.dryRun ? { 'dry-run': 'true' } : {}) },
    };
  },
);
