/**
 * One handler per lifecycle command, serving both of its triggers: the HTTP route (API Gateway v2
 * events) and the EventBridge rule (events with source `customers-portal`), through the platform's
 * dual adapter. Both parse with the command's zod schemas and call the same executeCommand.
 */
import type { LifecycleCommand } from './domain/types.js';
import type { CommerceCommandType } from './commands.js';
import { dualHandler } from '../platform/http/dual.js';
import type { DualHandler } from '../platform/http/dual.js';
import { executeCommand } from './execute.js';
import { commandSpecs } from './specs.js';

/**
 * The handler of `type`'s function.
 *
 * @example
 * export const handler = commandHandler('seatUsageReported');
 */
export function commandHandler(type: CommerceCommandType): DualHandler {
  const spec = commandSpecs[type];
  return dualHandler({
    name: type,
    detailType: spec.detailType,
    path: spec.path,
    body: spec.body,
    detail: spec.detail,
    fromRequest: (path, body) => spec.toCommand(path as Record<string, unknown>, body as Record<string, unknown>) as LifecycleCommand,
    fromDetail: (detail) => spec.toCommand(detail as Record<string, unknown>, detail as Record<string, unknown>) as LifecycleCommand,
    execute: (command, commandOptions) => executeCommand(command, commandOptions),
    answer: (result) => result.state,
    describe: (_command, result) => ({ namespaceId: result.state.namespaceId }),
  });
}
