import { randomUUID } from 'node:crypto';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { inject } from 'vitest';
import { startRuntime } from '../../local/runtime.js';
import type { Runtime, RuntimeOptions } from '../../local/runtime.js';

/**
 * A local runtime on the shared DynamoDB Local, with tables of its own. The test process gets the
 * runtime's direct access (table names, endpoint, region): tests that call a store or a domain
 * function themselves reach the same tables the runtime's functions use.
 */
export async function startTestRuntime(options: Partial<RuntimeOptions> = {}): Promise<Runtime> {
  const runtime = await startRuntime({
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tablePrefix: `t${randomUUID().slice(0, 8)}-`,
    tokens: { service: 'service-token-for-tests', operator: 'operator-token-for-tests' },
    retryDelaysMs: [20, 50],
    streamPollIntervalMs: 20,
    ...options,
  });
  Object.assign(process.env, runtime.directAccess);
  return runtime;
}

/**
 * An EventBridge client for the runtime's bus, signing as the README says: access key id
 * `provisioning-local`, the service token as secret access key.
 */
export function busClient(runtime: { url: string; tokens: Pick<Runtime['tokens'], 'service'> }, secretAccessKey = runtime.tokens.service): EventBridgeClient {
  return new EventBridgeClient({ endpoint: `${runtime.url}/eventbridge`, region: 'eu-west-1', credentials: { accessKeyId: 'provisioning-local', secretAccessKey } });
}

export interface Client {
  call(method: string, path: string, body?: unknown, options?: { token?: string | null; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
}

export function client(runtime: Runtime, defaultToken: 'service' | 'operator' = 'service'): Client {
  return {
    async call(method, path, body, options = {}) {
      const token = options.token === undefined ? runtime.tokens[defaultToken] : options.token;
      const response = await fetch(`${runtime.url}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON */
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
  };
}

let counter = 0;
/** A unique event id per call. */
export const eventId = (label = 'evt') => `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}-${randomUUID().slice(0, 6)}`;
