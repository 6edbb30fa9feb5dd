/**
 * Loads the manifest's handler modules — the same modules the stack bundles — and invokes them as
 * Lambda would: with a context, within the function's timeout.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { FunctionSettings, FunctionSpec } from '../shared/service/manifest.js';
import { FUNCTION_DEFAULTS, functionSettings, functions } from '../shared/service/manifest.js';

export const LOCAL_ACCOUNT = '000000000000';

/**
 * The waits between the attempts of an asynchronous invocation (bus deliveries, scheduled runs):
 * as many retries as the stack configures on each Lambda (FUNCTION_DEFAULTS.asyncRetryAttempts).
 */
export const ASYNC_RETRY_DELAYS_MS: readonly number[] = Array.from({ length: FUNCTION_DEFAULTS.asyncRetryAttempts }, (_, i) => 200 * 5 ** i);

export type Handler = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalFunction {
  spec: FunctionSpec;
  /** Memory and timeout, as the stack sets them on the Lambda (shared/platform/manifest-types.ts). */
  settings: FunctionSettings;
  /** Invokes the handler once; rejects with the handler's error or a timeout. */
  invoke(event: unknown, requestId?: string): Promise<unknown>;
}

export const functionName = (spec: FunctionSpec) => `provisioning-${spec.name}`;

function lambdaContext(spec: FunctionSpec, settings: FunctionSettings, requestId: string, deadline: number, region: string): Context {
  const name = functionName(spec);
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${name}`,
    memoryLimitInMB: String(settings.memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export class FunctionTimeoutError extends Error {
  override readonly name = 'FunctionTimeoutError';
}

/**
 * `handler` run as the Lambda of `spec` would be: with its memory in the context and within its
 * timeout, both from the same defaults the stack applies.
 *
 * @example
 * const fn = localFunction(spec, handler, 'eu-west-1');
 * await fn.invoke(event); // rejects with FunctionTimeoutError after fn.settings.timeoutSeconds
 */
export function localFunction(spec: FunctionSpec, handler: Handler, region: string): LocalFunction {
  const settings = functionSettings(spec);
  const timeoutMs = settings.timeoutSeconds * 1000;
  return {
    spec,
    settings,
    invoke: async (event, requestId = randomUUID()) => {
      const deadline = Date.now() + timeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new FunctionTimeoutError(`Task timed out after ${timeoutMs / 1000} seconds`)), timeoutMs);
      });
      try {
        return await Promise.race([handler(event, lambdaContext(spec, settings, requestId, deadline, region)), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Imports every handler of the manifest from `root` (the repository). */
export async function loadFunctions(root: string, region: string): Promise<Map<string, LocalFunction>> {
  const loaded = await Promise.all(
    functions.map(async (spec) => {
      const mod = (await import(pathToFileURL(path.join(root, spec.entry)).href)) as { handler?: Handler };
      if (typeof mod.handler !== 'function') throw new Error(`${spec.entry} does not export a handler function`);
      return [spec.name, localFunction(spec, mod.handler, region)] as const;
    }),
  );
  return new Map(loaded);
}
