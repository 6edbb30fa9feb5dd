/**
 * One command, two triggers: the handler that serves its HTTP route (API Gateway v2, through
 * httpHandler) and its EventBridge rule, both ending in the same `execute`.
 *
 *   HTTP:  path + ?dryRun + JSON body → command → execute as the caller → 200 with the answer
 *   event: detail-type checked, detail validated → command → execute as `eventbridge:<source>`;
 *          an error that says it is settled (a stale event) is done, anything else is thrown so
 *          the platform retries it and its onFailure destination reaches the error log.
 * Both count the outcome (platform/metrics.ts) and log it with the request's or the event's id.
 */
import type { APIGatewayProxyStructuredResultV2, Context, EventBridgeEvent } from 'aws-lambda';
import type * as z from '../zod.js';
import { isSettled } from '../errors.js';
import type { CommandOptions } from '../exactly-once.js';
import { logger } from '../log.js';
import { countCommand, countStale } from '../metrics.js';
import type { CommandOutcome } from '../metrics.js';
import { validationFailed } from './errors.js';
import { httpHandler, isHttpEvent, parseBody, parseWith } from './handler.js';
import type { HttpEvent } from './handler.js';
import { dryRunQuery } from './query.js';

/** A command both triggers serve: how each arrives, how it runs, what it answers. */
export interface DualCommand<P extends z.ZodMiniType, B extends z.ZodMiniType, D extends z.ZodMiniType, C extends { eventId: string }, R extends CommandOutcome> {
  /** The command's name in metrics and log lines. */
  name: string;
  /** The detail-type of the EventBridge rule that triggers it. */
  detailType: string;
  /** The route's path parameters, body and the event's detail (the body plus the path ids). */
  path: P;
  body: B;
  detail: D;
  fromRequest(path: z.output<P>, body: z.output<B>): C;
  fromDetail(detail: z.output<D>): C;
  execute(command: C, options: CommandOptions): Promise<R>;
  /** The HTTP answer's body. */
  answer(result: R): unknown;
  /** What the "command handled" line says besides name, eventId, replayed and dryRun. */
  describe?(command: C, result: R): Record<string, unknown>;
}

export type DualHandler = (event: HttpEvent | EventBridgeEvent<string, unknown>, context: Context) => Promise<APIGatewayProxyStructuredResultV2 | void>;

/**
 * Builds the handler of a function triggered by both an HTTP route and an EventBridge rule.
 *
 * @example
 * export const handler = dualHandler({
 *   name: 'billingAccountSet', detailType: 'Customer Billing Account Set',
 *   path: customerPath, body: billingAccountSetBody, detail: billingAccountSetDetail,
 *   fromRequest: (path, body) => ({ type: 'billingAccountSet', ...body, ...path }),
 *   fromDetail: (detail) => ({ type: 'billingAccountSet', ...detail }),
 *   execute: executeBillingAccountSet,
 *   answer: (result) => result.customer,
 * });
 */
export function dualHandler<P extends z.ZodMiniType, B extends z.ZodMiniType, D extends z.ZodMiniType, C extends { eventId: string }, R extends CommandOutcome>(
  spec: DualCommand<P, B, D, C, R>,
): DualHandler {
  const run = async (command: C, options: CommandOptions): Promise<R> => {
    const result = await spec.execute(command, options).catch(countStale(spec.name));
    countCommand(spec.name, result);
    return result;
  };
  const handled = (command: C, result: R) => ({
    eventId: command.eventId,
    command: spec.name,
    ...spec.describe?.(command, result),
    replayed: result.replayed,
    dryRun: result.dryRun,
  });

  const onHttp = httpHandler(async (event, { actor, log }) => {
    const path = parseWith(spec.path, event.pathParameters ?? {}, 'path');
    const { dryRun } = parseWith(dryRunQuery, event.queryStringParameters ?? {}, 'query');
    const body = parseBody(event, spec.body);
    const command = spec.fromRequest(path, body);
    const result = await run(command, { actor: actor.id, dryRun: dryRun === 'true' });
    log.info('command handled', handled(command, result));
    return {
      body: spec.answer(result),
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
    const command = spec.fromDetail(parsed.data as z.output<D>);
    try {
      const result = await run(command, { actor: `eventbridge:${event.source}` });
      log.info('command handled', handled(command, result));
    } catch (error) {
      // Already applied or superseded (a stale event): the change it asked for is not pending.
      if (!isSettled(error)) throw error;
      log.warn('event not applied', { eventId: command.eventId, command: spec.name, code: error.code, reason: error.message });
    }
  };

  return async (event, context) => (isHttpEvent(event) ? onHttp(event, context) : onEvent(event));
}
