/**
 * Noise rules and runbooks: list, read, save (PUT, idempotent, optionally pinned to a version),
 * delete a noise rule, and the history of each. Every change records the operator.
 */
import * as z from '../../shared/platform/zod.js';
import { specOf } from '../../shared/error-log/domain/noise-rules.js';
import { noiseRuleBody, ruleId } from '../../shared/error-log/domain/noise-rule-schema.js';
import { runbookSpecOf } from '../../shared/error-log/domain/runbooks.js';
import { runbookBody, runbookCode } from '../../shared/error-log/domain/runbook-schema.js';
import { deleteNoiseRule, listNoiseRules, noiseRuleStore, saveNoiseRule } from '../../shared/error-log/noise-rule-admin.js';
import { getRunbook, listRunbooks, runbookHistory, saveRunbook } from '../../shared/error-log/runbooks.js';
import { UnknownNoiseRuleError, UnknownRunbookError } from '../../shared/error-log/ops-errors.js';
import { NotFoundError } from '../../shared/platform/errors.js';
import { parseBody, parseWith, recordedActor } from '../../shared/platform/http/handler.js';
import { operatorHandler } from '../../shared/platform/http/operator-token.js';
import { noQuery } from '../../shared/platform/http/query.js';
import { pageLimit } from '../../shared/platform/schemas.js';

const rulePath = z.strictObject({ ruleId });
const codePath = z.strictObject({ code: runbookCode });
const historyQuery = z.strictObject({ limit: pageLimit(100), cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(512))) });
const deleteBody = z.strictObject({ expectedVersion: z.optional(z.int().check(z.minimum(0))) });

export const handler = operatorHandler(
  async (event, { actor, log }) => {
    const query = event.queryStringParameters ?? {};
    switch (event.routeKey) {
      case 'GET /v1/noise-rules':
        parseWith(noQuery, query, 'query');
        return { body: { items: await listNoiseRules() } };
      case 'PUT /v1/noise-rules/{ruleId}': {
        const { ruleId: id } = parseWith(rulePath, event.pathParameters ?? {}, 'path');
        parseWith(noQuery, query, 'query');
        const { expectedVersion, ...body } = parseBody(event, noiseRuleBody);
        const outcome = await saveNoiseRule(id, specOf(body), { operator: recordedActor(actor), expectedVersion });
        log.info(outcome.changed ? 'noise rule saved' : 'noise rule unchanged', { ruleId: id, version: outcome.item.version, operator: actor.id });
        return { statusCode: outcome.created ? 201 : 200, body: outcome.item };
      }
      case 'DELETE /v1/noise-rules/{ruleId}': {
        const { ruleId: id } = parseWith(rulePath, event.pathParameters ?? {}, 'path');
        parseWith(noQuery, query, 'query');
        const { expectedVersion } = event.body ? parseBody(event, deleteBody) : {};
        const outcome = await deleteNoiseRule(id, { operator: recordedActor(actor), expectedVersion });
        log.info(outcome.changed ? 'noise rule deleted' : 'noise rule already deleted', { ruleId: id, version: outcome.item.version, operator: actor.id });
        return { body: outcome.item };
      }
      case 'GET /v1/noise-rules/{ruleId}/history': {
        const { ruleId: id } = parseWith(rulePath, event.pathParameters ?? {}, 'path');
        const { limit, cursor } = parseWith(historyQuery, query, 'query');
        const page = await noiseRuleStore.history(id, { limit: limit ?? 50, cursor });
        if (page.items.length === 0 && !cursor) throw new UnknownNoiseRuleError(id);
        return { body: { id, ...page } };
      }
      case 'GET /v1/runbooks':
        parseWith(noQuery, query, 'query');
        return { body: { items: await listRunbooks({ withSteps: false }) } };
      case 'GET /v1/runbooks/{code}': {
        const { code } = parseWith(codePath, event.pathParameters ?? {}, 'path');
        parseWith(noQuery, query, 'query');
        const runbook = await getRunbook(code);
        if (!runbook) throw new UnknownRunbookError(code);
        return { body: runbook };
      }
      case 'PUT /v1/runbooks/{code}': {
        const { code } = parseWith(codePath, event.pathParameters ?? {}, 'path');
        parseWith(noQuery, query, 'query');
        const { expectedVersion, ...body } = parseBody(event, runbookBody);
        const outcome = await saveRunbook(code, runbookSpecOf(body), { operator: recordedActor(actor), expectedVersion });
        log.info(outcome.changed ? 'runbook saved' : 'runbook unchanged', { code, version: outcome.item.version, operator: actor.id });
        return { statusCode: outcome.created ? 201 : 200, body: outcome.item };
      }
      case 'GET /v1/runbooks/{code}/history': {
        const { code } = parseWith(codePath, event.pathParameters ?? {}, 'path');
        const { limit, cursor } = parseWith(historyQuery, query, 'query');
        return { body: { id: code, ...(await runbookHistory(code, { limit: limit ?? 50, cursor })) } };
      }
      default:
        throw new NotFoundError(`No route ${event.routeKey}.`);
    }
  },
);
