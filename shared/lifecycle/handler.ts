/**
 * One handler per lifecycle command, serving both of its triggers: the HTTP route (API Gateway v2
 * events) and the EventBridge rule (events with source `customers-portal`). Both parse with the
 * command's zod schemas and call the same executeCommand.
 */
import type { APIGatewayProxyStructuredResultV2, Context, EventBridgeEvent } from 'aws-lambda';
import type { CommandType } from './domain/types.js';
import { HttpError, validationFailed } from '../platform/http/errors.js';
import { httpHandler, isHttpEvent, parseBody, parseWith } from '../platform/http/handler.js';
import type { HttpEvent } from '../platform/http/handler.js';
import { logger } from '../platform/log.js';
import { countCommand, countStale } from '../platform/metrics.js';
import { executeCommand } from './execute.js';
import { commandSpecs } from './specs.js';
import { dryRunQuery } from '../platform/http/query.js';

/** Rejections that mean "already done or superseded": an event that meets one is not a failure. */
const SETTLED_CODES = new Set(['stale_event']);

export function commandHandler(type: CommandType) {
  const spec = commandSpecs[type];

  const onHttp = httpHandler(async (event, { actor, log }) => {
    const path = parseWith(spec.path, event.pathParameters ?? {}, 'path') as Record<string, unknown>;
    const { dryRun } = parseWith(dryRunQuery, event.queryStringParameters ?? {}, 'query');
    const body = parseBody(event, spec.body) as Record<string, unknown>;
    const command = spec.toCommand(path, body);
    const result = await executeCommand(command, { actor: actor.id, dryRun: dryRun === 'true' }).catch(countStale(type));
    countCommand(type, result);
    log.info('command handled', {
      eventId: command.eventId,
      command: type,
      namespaceId: result.state.namespaceId,
      replayed: result.replayed,
      dryRun: result.dryRun,
    });
    return {
      body: result.state,
      headers: { 'idempotent-replayed': String(result.replayed), ...(result.dryRun ? { 'dry-run': 'true' } : {}) },
    };
  });

  const onEvent = async (event: EventBridgeEvent<string, unknown>): Promise<void> => {
    const log = logger.createChild({ persistentKeys: { eventBridgeId: event.id, detailType: event['detail-type'] } });
    if (event['detail-type'] !== spec.detailType) {
      throw new Error(`${spec.detailType} handler received ${event['detail-type']}: check the rule's pattern`);
    }
    const parsed = spec.detail.safeParse(event.detail);
    if (!parsed.success) {
      const problem = validationFailed(parsed.error, 'detail');
      log.error('event rejected: invalid detail', { code: problem.code, details: problem.details });
      throw problem;
    }
    const detail = parsed.data as Record<string, unknown>;
    const command = spec.toCommand(detail, detail);
    try {
      const result = await executeCommand(command, { actor: `eventbridge:${event.source}` }).catch(countStale(type));
      countCommand(type, result);
      log.info('command handled', { eventId: command.eventId, command: type, namespaceId: result.state.namespaceId, replayed: result.replayed });
    } catch (error) {
      if (error instanceof HttpError && SETTLED_CODES.has(error.code)) {
        log.warn('event not applied', { eventId: command.eventId, command: type, code: error.code, reason: error.message });
        return;
      }
      throw error;
    }
  };

  return async (event: HttpEvent | EventBridgeEvent<string, unknown>, context: Context): Promise<APIGatewayProxyStructuredResultV2 | void> =>
    isHttpEvent(event) ? onHttp(event, context) : onEvent(event);
}
