/**
 * The whole service on one machine: DynamoDB Local, the tables, the handlers of the manifest behind
 * a local API Gateway, the local bus and the stream feed. Used by `npm start`, the tests and the bench.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { BUS_NAME, FUNCTION_DEFAULTS, functions as manifestFunctions, httpRoutes } from '../shared/service/manifest.js';
import { tableEnvVar, tableSpecs } from '../shared/platform/tables.js';
import type { TableKey } from '../shared/platform/tables.js';
import { logger } from '../shared/platform/log.js';
import { LocalBus } from './bus.js';
import { LOCAL_REGION, StartupError, ensureTables, localClient, startDynamoDbLocal } from './dynamodb.js';
import type { DynamoDbLocal } from './dynamodb.js';
import { loadFunctions } from './functions.js';
import type { LocalFunction } from './functions.js';
import {
  BODY_LIMITS,
  LOCAL_API_ID,
  MAX_BUS_REQUEST_BYTES,
  buildRouter,
  callerFor,
  declaresMoreThan,
  errorResponse,
  isLoopbackHost,
  readBody,
  toApiGatewayEvent,
  writeLambdaResult,
} from './http-server.js';
import { verifySignature } from './sigv4.js';

import { HTTP_API_ID_ENV } from '../shared/platform/http/api-origin.js';
import { OPERATOR_JWT_ENV, OPERATOR_ROUTES_ENV, operatorRouteRoles, roleAllows } from '../shared/platform/operator-roles.js';
import type { TokenKind, Tokens } from './http-server.js';
import { LocalScheduler } from './scheduler.js';
import { StreamPoller } from './streams.js';
import { sleep } from '../shared/platform/backoff.js';

/** The access key id the runtime's own functions sign with (letters and digits, as DynamoDB Local requires). */
const RUNTIME_ACCESS_KEY_ID = 'provisioningLocalRuntime';
/** One per process, not per runtime: the functions' SDK clients keep the credentials they first read. */
const RUNTIME_SECRET = randomBytes(32).toString('base64url');

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface RuntimeOptions {
  /** HTTP port; 0 picks a free one. */
  port: number;
  host?: string;
  /** Use this DynamoDB (tests share one); otherwise start DynamoDB Local. */
  dynamoEndpoint?: string;
  /** Keep data here; undefined = in memory. Ignored with dynamoEndpoint. */
  dataDir?: string;
  /** Port for the DynamoDB Local this runtime starts; 0 picks a free one. */
  dynamoPort?: number;
  tablePrefix?: string;
  tokens?: Partial<Tokens>;
  /** Delays between async delivery attempts. */
  retryDelaysMs?: readonly number[];
  streamPollIntervalMs?: number;
}

export interface Runtime {
  url: string;
  port: number;
  dynamoEndpoint: string;
  tokens: Tokens;
  tokensGenerated: Record<TokenKind, boolean>;
  tables: Record<TableKey, string>;
  bus: LocalBus;
  streams: StreamPoller;
  /** Runs the manifest's schedule triggers on their cron expressions (and on demand: runNow). */
  scheduler: LocalScheduler;
  functions: Map<string, LocalFunction>;
  /** Resolves once the stream feed has caught up (every applied change published). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

const log = logger.createChild({ persistentKeys: { component: 'local-runtime' } });
const emit = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => log[level](message, fields ?? {});

/** Tokens from the environment, else from .data/tokens.json (persisted runs), else new ones. */
function resolveTokens(given: Partial<Tokens> | undefined, dataDir: string | undefined) {
  const file = dataDir ? path.join(dataDir, 'tokens.json') : undefined;
  let stored: Partial<Tokens> = {};
  if (file && existsSync(file)) {
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Tokens>;
    } catch {
      stored = {};
    }
  }
  const make = () => randomBytes(24).toString('base64url');
  const kinds: TokenKind[] = ['service', 'operator', 'support', 'viewer'];
  const tokens = Object.fromEntries(kinds.map((k) => [k, given?.[k] || stored[k] || make()])) as unknown as Tokens;
  if (new Set(kinds.map((k) => tokens[k])).size !== kinds.length) {
    throw new StartupError('PROVISIONING_SERVICE_TOKEN, PROVISIONING_OPERATOR_TOKEN, PROVISIONING_SUPPORT_TOKEN and PROVISIONING_VIEWER_TOKEN must differ: set different values.');
  }
  if (file) {
    // 0600 from the first byte; chmod for a file an older version created with the default mode.
    // A token from the environment is not written: the file keeps what it had for that kind.
    const kept = Object.fromEntries(kinds.map((k) => [k, given?.[k] ? stored[k] : tokens[k]]));
    writeFileSync(file, JSON.stringify(kept), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return { tokens, generated: Object.fromEntries(kinds.map((k) => [k, !given?.[k]])) as Record<TokenKind, boolean> };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new StartupError(`port ${port} is taken: stop what is using it or start on another port, e.g. PORT=${port + 1} npm start`)
          : error.code === 'EACCES'
            ? new StartupError(`port ${port} needs privileges: choose a port above 1024, e.g. PORT=3000 npm start`)
            : error,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

const tooLarge = (limit: number) => (limit === 0 ? 'This route takes no request body.' : `The body is larger than ${limit / 1024} KB; send a smaller request.`);

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const probe = createServer();
  const port = await listen(probe, 0, host);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const host = options.host ?? '127.0.0.1';
  let ready = false;
  let stopping = false;
  let active = 0;
  let idleResolve: (() => void) | undefined;
  let dynamo: DynamoDbLocal | undefined;
  let bus: LocalBus | undefined;
  let handleRequest: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;

  // Reserve the HTTP port first: a taken port fails in a second, before Java starts.
  const server = createServer((req, res) => {
    active++;
    const done = () => {
      active--;
      if (active === 0) idleResolve?.();
    };
    res.once('close', done);
    // While stopping, the bus endpoint stays open: the outbox publishes what it still holds through it.
    const busDuringStop = stopping && (req.url ?? '').startsWith('/eventbridge');
    if (!handleRequest || (!ready && !busDuringStop)) {
      errorResponse(res, 503, 'unavailable', stopping ? 'The service is stopping.' : 'The service is starting; retry in a moment.', { 'retry-after': '1' });
      return;
    }
    handleRequest(req, res).catch((error: unknown) => {
      emit('error', 'local gateway failed', { error: error as Error });
      if (!res.headersSent) errorResponse(res, 500, 'internal_error', 'The local gateway failed; see its log.');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  const port = await listen(server, options.port, host);

  try {
    // The data and the tokens are the developer's alone: 0700, however the umask is set.
    if (options.dataDir) {
      mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
      chmodSync(options.dataDir, 0o700);
    }
    const { tokens, generated } = resolveTokens(options.tokens, options.dynamoEndpoint ? undefined : options.dataDir);

    let endpoint = options.dynamoEndpoint;
    if (!endpoint) {
      dynamo = await startDynamoDbLocal({
        port: options.dynamoPort || (await freePort(host)),
        // No browser page but the local API's own may call it (the admin page never does).
        corsOrigin: `http://${host}:${port}`,
        dataDir: options.dataDir ? path.join(options.dataDir, 'dynamodb') : undefined,
      });
      endpoint = dynamo.endpoint;
    }
    const prefix = options.tablePrefix ?? 'provisioning-';
    const tables = (await ensureTables(endpoint, prefix)) as Record<TableKey, string>;
    const busKeys = new Map([[RUNTIME_ACCESS_KEY_ID, RUNTIME_SECRET]]);

    // The handlers read their configuration from the environment, as in Lambda.
    Object.assign(process.env, {
      AWS_REGION: LOCAL_REGION,
      // The functions' SDK clients sign with these. DynamoDB Local refuses an access key id that is
      // not letters and digits (so not provisioning-local): the functions have a key of their own,
      // whose secret is new for each process and never leaves it; the bus accepts it too.
      AWS_ACCESS_KEY_ID: RUNTIME_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: RUNTIME_SECRET,
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: `http://${host}:${port}/eventbridge`,
      EVENT_BUS_NAME: BUS_NAME,
      // The API id every request event of local/http-server.ts carries, as the stack passes its API's.
      [HTTP_API_ID_ENV]: LOCAL_API_ID,
      // Every operator route's least role, as the stack gives each function its own: the handlers check it again.
      [OPERATOR_ROUTES_ENV]: JSON.stringify(operatorRouteRoles(httpRoutes())),
      POWERTOOLS_SERVICE_NAME: FUNCTION_DEFAULTS.serviceName,
    });
    // Links in Slack messages and digests point at this runtime's admin page unless told otherwise.
    process.env.ADMIN_BASE_URL ??= `http://${host}:${port}`;
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    // The runtime is the operators' authorizer here (its tokens carry no JWT): no issuer to verify against.
    delete process.env[OPERATOR_JWT_ENV.issuer];
    for (const spec of tableSpecs) process.env[tableEnvVar(spec.key)] = tables[spec.key];

    const functions = await loadFunctions(REPO_ROOT, LOCAL_REGION);
    bus = new LocalBus({ busName: BUS_NAME, region: LOCAL_REGION, functions, retryDelaysMs: options.retryDelaysMs, log: emit });
    const streams = new StreamPoller({
      endpoint,
      pollIntervalMs: options.streamPollIntervalMs,
      checkpointFile: options.dataDir && !options.dynamoEndpoint ? path.join(options.dataDir, 'stream-checkpoints.json') : undefined,
      sources: manifestFunctions.flatMap((spec) =>
        spec.triggers.flatMap((t) => (t.kind === 'stream' ? [{ tableName: tables[t.table], batchSize: t.batchSize, fn: functions.get(spec.name)! }] : [])),
      ),
      log: emit,
    });
    streams.start();
    const scheduler = new LocalScheduler({ functions, bus, region: LOCAL_REGION, retryDelaysMs: options.retryDelaysMs, log: emit });
    scheduler.start();

    const router = buildRouter(functions);
    const health = localClient(endpoint);
    const theBus = bus;
    handleRequest = async (req, res) => {
      // Against DNS rebinding: a page of another site whose name now resolves to 127.0.0.1 sends its own Host.
      if (!isLoopbackHost(req.headers.host, host)) {
        return errorResponse(res, 403, 'forbidden', 'The Host header must name this machine (localhost, 127.0.0.1 or [::1]): the local runtime answers only loopback names.', { connection: 'close' });
      }
      const url = new URL(req.url ?? '/', `http://${host}:${port}`);
      const method = (req.method ?? 'GET').toUpperCase();
      if (url.pathname === '/health' && method === 'GET') {
        const up = await health.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) }).then(() => true, () => false);
        const body = JSON.stringify(up ? { status: 'ok', dynamodb: 'up' } : { error: { code: 'unavailable', message: 'DynamoDB Local does not answer.' } });
        res.writeHead(up ? 200 : 503, { 'content-type': 'application/json' });
        res.end(body);
        return;
      }
      if (url.pathname.replace(/\/$/, '') === '/eventbridge') {
        if (method !== 'POST') return errorResponse(res, 405, 'method_not_allowed', 'The local bus accepts PutEvents as POST.');
        const raw = await readBody(req, MAX_BUS_REQUEST_BYTES);
        if (raw === 'too_large') return errorResponse(res, 413, 'payload_too_large', 'PutEvents requests are limited to 256 KB.', { connection: 'close' });
        const text = raw.toString('utf8');
        // As EventBridge: signed with SigV4 by the local access key (provisioning-local, the service token as secret).
        const refusal = await verifySignature({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body: text }, { secretAccessKey: tokens.service, now: new Date(), otherKeys: busKeys });
        if (refusal) {
          res.writeHead(refusal.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID(), 'x-amzn-errortype': refusal.type });
          res.end(JSON.stringify({ __type: refusal.type, message: refusal.message }));
          return;
        }
        const result = theBus.putEvents(req.headers, text);
        const body = JSON.stringify(result.body);
        res.writeHead(result.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
        res.end(body);
        return;
      }
      const match = router.match(method, url.pathname);
      if (!match) return errorResponse(res, 404, 'not_found', `No route ${method} ${url.pathname}: see GET /openapi.json for the API.`);
      // A body declared above the route's limit is refused before anything else (credentials included).
      const bodyLimit = BODY_LIMITS[match.route.target.auth];
      if (declaresMoreThan(req, bodyLimit)) return errorResponse(res, 413, 'payload_too_large', tooLarge(bodyLimit), { connection: 'close' });
      // Webhook routes carry a third party's shared secret, not a bearer token: their handler checks it.
      const isWebhook = match.route.target.auth === 'webhook';
      // Public routes (the admin page's static files) take no credentials, as API Gateway without an authorizer.
      const isPublic = match.route.target.auth === 'public';
      const caller = isWebhook || isPublic ? ({ kind: 'service' } as const) : callerFor(req.headers.authorization, tokens);
      if (caller === 'missing') return errorResponse(res, 401, 'unauthorized', 'Missing bearer token: send Authorization: Bearer <token> (npm start prints the tokens).');
      if (caller === 'invalid') return errorResponse(res, 401, 'unauthorized', 'Wrong bearer token: use the token npm start printed.');
      if (match.route.target.auth === 'operator' && caller.kind !== 'operator') {
        return errorResponse(res, 403, 'forbidden', 'This route is for operators: call it with an operator token.');
      }
      // As the JWT authorizer requires one of the route's scopes in AWS: the token's role must reach the route's.
      const needs = match.route.target.role;
      if (match.route.target.auth === 'operator' && caller.kind === 'operator' && needs && !roleAllows(caller.role, needs)) {
        return errorResponse(res, 403, 'forbidden', `${match.routeKey} needs the ${needs} role or higher; this token has the ${caller.role} role.`);
      }
      // In AWS service routes are IAM-authorized: an operator's JWT is refused there, so it is here too.
      if (match.route.target.auth === 'service' && caller.kind !== 'service') {
        return errorResponse(res, 403, 'forbidden', 'This route is for services (IAM in AWS): call it with the service token; operators use the operator routes.');
      }
      const raw = await readBody(req, bodyLimit);
      if (raw === 'too_large') return errorResponse(res, 413, 'payload_too_large', tooLarge(bodyLimit), { connection: 'close' });
      const event = toApiGatewayEvent(req, url, raw, match, caller);
      if (isWebhook) (event.requestContext as Record<string, unknown>).authorizer = { lambda: { webhook: 'gitlab' } };
      if (isPublic) delete (event.requestContext as Record<string, unknown>).authorizer;
      const requestId = (event.requestContext as { requestId: string }).requestId;
      let result: unknown;
      try {
        result = await match.route.target.fn.invoke(event, requestId);
      } catch (error) {
        // The handler itself crashed (API Gateway answers 500 "Internal Server Error").
        emit('error', 'handler failed', { function: match.route.target.fn.spec.name, requestId, error: error as Error });
        return errorResponse(res, 500, 'internal_error', 'The service failed to handle this request; retry later.');
      }
      writeLambdaResult(res, result, requestId);
    };
    ready = true;

    const stop = async () => {
      if (stopping) return;
      stopping = true;
      ready = false;
      // Finish what was accepted: requests under way, bus deliveries, the outbox (which still
      // reaches the bus endpoint); then close the server and stop the database.
      server.closeIdleConnections();
      // Not a plain sleep: the last request's end resolves it early (idleResolve); 10 s at most.
      if (active > 0) await new Promise<void>((resolve) => ((idleResolve = resolve), setTimeout(resolve, 10_000)));
      await scheduler.stop();
      await theBus.drain();
      await Promise.race([streams.idle(), sleep(10_000)]);
      await streams.stop();
      await theBus.drain();
      health.destroy();
      server.close();
      server.closeAllConnections();
      await dynamo?.stop();
    };

    return {
      url: `http://${host}:${port}`,
      port,
      dynamoEndpoint: endpoint,
      tokens,
      tokensGenerated: generated,
      tables,
      bus,
      streams,
      scheduler,
      functions,
      settle: async () => {
        await theBus.drain();
        await streams.idle();
        await theBus.drain();
      },
      stop,
    };
  } catch (error) {
    server.close();
    await dynamo?.stop();
    throw error;
  }
}
