/**
 * `Provisioning Failed`: how a sync handler's server-side failure reaches the error log. httpHandler
 * calls `reportServerFailure` for every 5xx (never for a 4xx): it publishes the failure on the bus,
 * bounded in time, and never throws — the caller's 500 answer does not wait on, or depend on, it.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { publish } from '../bus.js';
import { PROVISIONING_FAILED } from '../failure-events.js';
import type { ProvisioningFailed } from '../failure-events.js';
import type { HttpEvent } from './handler.js';
import { redact, redactText } from '../redact.js';

/** The longest the 500 answer waits for the publication. */
export const PUBLISH_TIMEOUT_MS = 1_500;

const MAX_BODY_CHARS = 16_000;

/** The request as the error log keeps it: route, ids and the JSON body, redacted; no headers. */
function requestPayload(event: HttpEvent): Record<string, unknown> {
  let body: unknown;
  if (event.body !== undefined && event.body.length <= MAX_BODY_CHARS) {
    const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    try {
      body = JSON.parse(raw);
    } catch {
      body = '[not JSON]';
    }
  } else if (event.body !== undefined) {
    body = `[${event.body.length} characters, not kept]`;
  }
  return redact({
    method: event.requestContext?.http?.method,
    path: event.rawPath,
    pathParameters: event.pathParameters,
    query: event.queryStringParameters,
    ...(body === undefined ? {} : { body }),
  }) as Record<string, unknown>;
}

/** The `Provisioning Failed` detail of a failure. Pure. */
export function provisioningFailedDetail(
  error: unknown,
  event: HttpEvent,
  context: { code: string; requestId: string; functionName?: string; now?: Date },
): ProvisioningFailed {
  const err = error instanceof Error ? error : new Error(String(error));
  // The store wraps a failure it does not know in a plain StoreError, cause kept: file it under what failed.
  const failed = err.name === 'StoreError' && err.cause instanceof Error ? err.cause : err;
  const routeKey = event.routeKey ?? event.requestContext?.routeKey ?? 'unknown';
  return {
    code: /^[a-z][a-z0-9_]{0,99}$/.test(context.code) ? context.code : 'internal_error',
    message: redactText(err.message || err.name).slice(0, 2000),
    errorType: (failed.name || 'Error').slice(0, 200),
    subject: routeKey.slice(0, 500),
    routeKey: routeKey.slice(0, 300),
    requestId: context.requestId.slice(0, 200),
    ...(context.functionName ? { functionName: context.functionName.slice(0, 200) } : {}),
    backtrace: (err.stack ?? '')
      .split('\n')
      .slice(1, 21)
      .map((line) => redactText(line.trim()).slice(0, 1000)),
    payload: requestPayload(event),
    occurredAt: (context.now ?? new Date()).toISOString(),
  };
}

/**
 * The default server-failure hook of httpHandler: publishes `Provisioning Failed`. Resolves within
 * PUBLISH_TIMEOUT_MS whatever happens; a lost publication is logged with the request id (the
 * request's own error log line has the details).
 */
export async function reportServerFailure(
  error: unknown,
  event: HttpEvent,
  scope: { requestId: string; log: Logger; code: string; functionName?: string },
): Promise<void> {
  let detail: ProvisioningFailed;
  try {
    detail = provisioningFailedDetail(error, event, scope);
  } catch (buildError) {
    scope.log.error('could not describe the failure for the error log', { error: buildError as Error });
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), PUBLISH_TIMEOUT_MS);
    timer.unref?.();
  });
  const published = publish([{ detailType: PROVISIONING_FAILED, detail, id: scope.requestId }]).then(
    (failed) => (failed.length ? 'rejected' : 'published'),
    () => 'rejected' as const,
  );
  const outcome = await Promise.race([published, timeout]);
  clearTimeout(timer);
  if (outcome !== 'published') {
    scope.log.error('Provisioning Failed not published: the error log misses this failure', { outcome, code: detail.code });
  }
}
