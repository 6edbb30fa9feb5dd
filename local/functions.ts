/**
 * Loads the manifest's handler modules — the same modules the stack bundles — and invokes them as
 * Lambda would: with a context, within the function's timeout.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { FunctionSpec } from '../shared/service/manifest.js';
import { functions } from '../shared/service/manifest.js';

export const LOCAL_ACCOUNT = '000000000000';
export const DEFAULT_TIMEOUT_SECONDS = 10;

export type Handler = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalFunction {
  spec: FunctionSpec;
  /** Invokes the handler once; rejects with the handler's error or a timeout. */
  invoke(event: unknown, requestId?: string): Promise<unknown>;
}

export const functionName = (spec: FunctionSpec) => `provisioning-${spec.name}`;

function lambdaContext(spec: FunctionSpec, requestId: string, deadline: number, region: string): Context {
  const name = functionName(spec);
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${name}`,
    memoryLimitInMB: String(spec.memoryMb ?? 256),
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

/** Imports every handler of the manifest from `root` (the repository). */
export async function loadFunctions(root: string, region: string): Promise<Map<string, LocalFunction>> {
  const loaded = await Promise.all(
    functions.map(async (spec) => {
      const mod = (await import(pathToFileURL(path.join(root, spec.entry)).href)) as { handler?: Handler };
      if (typeof mod.handler !== 'function') throw new Error(`${spec.entry} does not export a handler function`);
      const handler = mod.handler;
      const timeoutMs = (spec.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
      const fn: LocalFunction = {
        spec,
        invoke: async (event, requestId = randomUUID()) => {
          const deadline = Date.now() + timeoutMs;
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new FunctionTimeoutError(`Task timed out after ${timeoutMs / 1000} seconds`)), timeoutMs);
          });
          try {
            return await Promise.race([handler(event, lambdaContext(spec, requestId, deadline, region)), timeout]);
          } finally {
            clearTimeout(timer);
          }
        },
      };
      return [spec.name, fn] as const;
    }),
  );
  return new Map(loaded);
}
