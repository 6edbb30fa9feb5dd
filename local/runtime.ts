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
import { BUS_NAME, functions as manifestFunctions } from '../shared/service/manifest.js';
import type { TableKey } from '../shared/platform/tables.js';
import { logger } from '../shared/platform/log.js';
import { LocalBus } from './bus.js';
import { LOCAL_REGION, StartupError, ensureTables, localClient, startDynamoDbLocal } from './dynamodb.js';
import { tableEnvVar, tableSpecs } from '../shared/platform/tables.js';
import type { DynamoDbLocal } from './dynamodb.js';
import { IsolatedFunction, LOCAL_ACCOUNT } from './functions.js';
import type { IsolatedFunctionConfig, LocalFunction } from './functions.js';
import { definitionsFromSource, definitionsFromTemplate, localArns, localSecretValues } from './definitions.js';
import type { FunctionDefinition, LocalResources, SecretKey } from './definitions.js';
import { IamGate } from './iam-gate.js';
import { config as configSpecs } from '../shared/platform/config.js';
import type { ConfigKey } from '../shared/platform/config.js';
import { webhookAuthorizerFunction } from '../shared/error-log/manifest.js';
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

import { roleAllows } from '../shared/platform/operator-roles.js';
import type { TokenKind, Tokens } from './http-server.js';
import { LocalScheduler } from './scheduler.js';
import { StreamPoller } from './streams.js';
import { sleep } from '../shared/platform/backoff.js';


/**
 * The key of direct access (tests and tools that call a store or publish themselves): one the bus
 * accepts, in letters and digits as DynamoDB Local requires, outside any function's policy. One per
 * process, not per runtime: an SDK client keeps the credentials it first read.
 */
const DIRECT_ACCESS = { accessKeyId: `LOCALDIRECT${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(24).toString('base64url') };

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
  /**
   * Run the esbuild bundles of `cdk.out` (what `cdk deploy` uploads) with the template's settings,
   * environment and policies, instead of the sources with the settings the stack code derives.
   */
  bundles?: { cdkOut: string };
  /** How long an idle function environment stays warm (default 5 minutes). */
  idleTimeoutMs?: number;
  /**
   * Changes a function's definition before it runs: how a test narrows a policy or removes a
   * variable to see the function fail as it would in AWS.
   */
  adjustDefinition?: (definition: FunctionDefinition) => FunctionDefinition;
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
  /** What each function runs with: its code, settings, environment and policy. */
  definitions: Map<string, FunctionDefinition>;
  /** Checks every AWS call of the functions against their policies (and counts them). */
  iam: IamGate;
  /**
   * What a process needs to read and write this runtime's tables itself, as a function would (table
   * names, region, DynamoDB endpoint, credentials): for tests and tools that call the stores
   * directly. Straight to DynamoDB, not through the IAM gate: such a caller is not a function.
   */
  directAccess: Readonly<Record<string, string>>;
  /**
   * Changes a function's environment variables as `aws lambda update-function-configuration` does
   * (its next invocation starts with them; the IAM policy is unchanged). `change` gets the
   * function's template environment (without what Lambda adds) and answers the new one.
   */
  updateFunctionEnvironment(name: string, change: (environment: Readonly<Record<string, string>>) => Record<string, string>): Promise<void>;
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
  let iam: IamGate | undefined;
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
    const busKeys = new Map<string, string>();

    // Each function runs isolated, with the environment and the policy its template gives it.
    const resources: LocalResources = {
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      tables,
      busName: BUS_NAME,
      apiId: LOCAL_API_ID,
      apiUrl: `http://${host}:${port}`,
    };
    const arns = localArns(resources);
    const definitionList = (options.bundles ? definitionsFromTemplate(options.bundles.cdkOut, resources) : definitionsFromSource(resources, { repoRoot: REPO_ROOT })).map(
      (definition) => options.adjustDefinition?.(definition) ?? definition,
    );
    const definitions = new Map(definitionList.map((d) => [d.name, d]));
    // The local Secrets Manager holds what the developer's environment gives each secret (unset: empty, "not configured").
    const secretValues = localSecretValues();
    const secretByArn = new Map(Object.keys(configSpecs).map((key) => [arns.secret(key as ConfigKey), key as SecretKey]));
    iam = new IamGate({
      dynamoEndpoint: endpoint,
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      log: emit,
      secretValue: (arn) => {
        const key = secretByArn.get(arn);
        return key === undefined || configSpecs[key].kind !== 'secret' ? undefined : (secretValues[key] ?? '');
      },
    });
    const gateEndpoint = await iam.start(host);
    const specs = new Map([...manifestFunctions, webhookAuthorizerFunction].map((spec) => [spec.name, spec]));
    // Where every function's SDK clients find the local services, and each function's own keys.
    const endpoints = { dynamodb: gateEndpoint, secretsManager: gateEndpoint, eventBridge: `http://${host}:${port}/eventbridge` };
    const credentialsOf = new Map<string, { accessKeyId: string; secretAccessKey: string }>();
    const functions = new Map<string, LocalFunction>();
    for (const definition of definitionList) {
      const spec = specs.get(definition.name);
      if (!spec) throw new StartupError(`${definition.functionName} is in the template but not in the manifest: synthesize again (npm run synth).`);
      const credentials = iam.register({ name: definition.name, functionName: definition.functionName, policy: definition.policy });
      credentialsOf.set(definition.name, credentials);
      const functionArn = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${definition.functionName}`;
      const config: IsolatedFunctionConfig = {
        spec,
        functionName: definition.functionName,
        functionArn,
        code: definition.code,
        memoryMb: definition.memoryMb,
        timeoutSeconds: definition.timeoutSeconds,
        reservedConcurrency: definition.reservedConcurrency,
        environment: lambdaEnvironment(definition, credentials, endpoints),
      };
      functions.set(definition.name, new IsolatedFunction(config, { idleTimeoutMs: options.idleTimeoutMs, log: emit }));
    }
    for (const [key, secret] of iam.keys()) busKeys.set(key, secret);
    busKeys.set(DIRECT_ACCESS.accessKeyId, DIRECT_ACCESS.secretAccessKey);
    // Retries and maximum event age of asynchronous invocations: each function's EventInvokeConfig.
    const asyncInvoke = (spec: { name: string }) => definitions.get(spec.name)?.asyncInvoke;
    bus = new LocalBus({ busName: BUS_NAME, region: LOCAL_REGION, functions, retryDelaysMs: options.retryDelaysMs, asyncInvoke, log: emit });
    const streams = new StreamPoller({
      endpoint,
      pollIntervalMs: options.streamPollIntervalMs,
      checkpointFile: options.dataDir && !options.dynamoEndpoint ? path.join(options.dataDir, 'stream-checkpoints.json') : undefined,
      // The event source mappings of the template (or of the stack code, in source mode).
      sources: definitionList.flatMap((definition) =>
        definition.streams.map((mapping) => ({
          tableName: tables[mapping.table],
          fn: functions.get(definition.name)!,
          batchSize: mapping.batchSize,
          bisectBatchOnError: mapping.bisectBatchOnError,
          maximumRetryAttempts: mapping.maximumRetryAttempts,
          maximumRecordAgeSeconds: mapping.maximumRecordAgeSeconds,
          reportBatchItemFailures: mapping.reportBatchItemFailures,
        })),
      ),
      log: emit,
    });
    streams.start();
    const scheduler = new LocalScheduler({ functions, bus, region: LOCAL_REGION, retryDelaysMs: options.retryDelaysMs, asyncInvoke, log: emit });
    scheduler.start();

    const router = buildRouter(functions);
    const health = localClient(endpoint);
    const theBus = bus;
    const theIam = iam;
    const busArnOf = (name: string | undefined) => (name?.startsWith('arn:') ? name : `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${name || 'default'}`);
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
        // A function's PutEvents is checked against its policy, entry by entry (events:source, events:detail-type).
        const caller = theIam.principalOfRequest(req.headers.authorization);
        const denial = caller ? theIam.authorizePutEvents(caller, putEventsEntries(text), busArnOf) : undefined;
        if (denial) {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID(), 'x-amzn-errortype': 'AccessDeniedException' });
          res.end(JSON.stringify({ __type: 'AccessDeniedException', message: denial.message }));
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
      // Webhook routes carry a third party's shared secret, not a bearer token: their Lambda authorizer checks it (and their handler again).
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
      if (isWebhook) {
        // As API Gateway runs the route's Lambda authorizer (simple responses, identity source
        // X-Gitlab-Token): no token 401, a refusal 403, both before the route's function; the
        // authorizer's context reaches the function. (AWS caches an answer per token for 5 minutes.)
        const token = req.headers['x-gitlab-token'];
        if (typeof token !== 'string' || token === '') return errorResponse(res, 401, 'unauthorized', 'Missing X-Gitlab-Token: set the webhook\'s secret token.');
        const authorizer = functions.get(webhookAuthorizerFunction.name);
        if (!authorizer) return errorResponse(res, 500, 'internal_error', 'The webhook authorizer is not defined; see the runtime log.');
        let decision: { isAuthorized?: boolean; context?: Record<string, unknown> } | undefined;
        try {
          decision = (await authorizer.invoke({
            version: '2.0',
            type: 'REQUEST',
            routeArn: `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${LOCAL_API_ID}/$default/${method}${url.pathname}`,
            identitySource: [token],
            routeKey: match.routeKey,
            rawPath: url.pathname,
            headers: event.headers,
            requestContext: { ...(event.requestContext as Record<string, unknown>), authorizer: undefined },
          })) as typeof decision;
        } catch (error) {
          // API Gateway answers 500 when the authorizer fails.
          emit('error', 'webhook authorizer failed', { error: error as Error });
          return errorResponse(res, 500, 'internal_error', 'The service failed to handle this request; retry later.');
        }
        if (decision?.isAuthorized !== true) return errorResponse(res, 403, 'forbidden', 'Wrong X-Gitlab-Token: set the webhook\'s secret token to the one the service was given.');
        (event.requestContext as Record<string, unknown>).authorizer = { lambda: decision.context ?? {} };
      }
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
      await Promise.all([...functions.values()].map((fn) => (fn as IsolatedFunction).stop()));
      await theIam.stop();
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
      definitions,
      iam: theIam,
      directAccess: {
        AWS_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: DIRECT_ACCESS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: DIRECT_ACCESS.secretAccessKey,
        AWS_ENDPOINT_URL_DYNAMODB: endpoint,
        AWS_ENDPOINT_URL_EVENTBRIDGE: `http://${host}:${port}/eventbridge`,
        EVENT_BUS_NAME: BUS_NAME,
        ...Object.fromEntries(tableSpecs.map((spec) => [tableEnvVar(spec.key), tables[spec.key]])),
      },
      updateFunctionEnvironment: async (name, change) => {
        const definition = definitions.get(name);
        const fn = functions.get(name) as IsolatedFunction | undefined;
        if (!definition || !fn) throw new Error(`No function ${name}: the manifest's are ${[...definitions.keys()].join(', ')}`);
        const updated = { ...definition, environment: change(definition.environment) };
        definitions.set(name, updated);
        await fn.updateEnvironment(lambdaEnvironment(updated, credentialsOf.get(name)!, endpoints));
      },
      settle: async () => {
        await theBus.drain();
        await streams.idle();
        await theBus.drain();
      },
      stop,
    };
  } catch (error) {
    server.close();
    await iam?.stop();
    await dynamo?.stop();
    throw error;
  }
}

/**
 * What Lambda puts in a function's environment besides the template's variables: its name, memory,
 * region and credentials (here the function's own local keys), and where its SDK clients find the
 * local services (the IAM gate in front of DynamoDB Local and the local Secrets Manager, the bus).
 * The runtime's own POWERTOOLS_LOG_LEVEL and POWERTOOLS_METRICS_DISABLED, when set (npm start sets
 * the level from LOG_LEVEL), override the template's: logging is the developer's choice locally.
 */
const LOCAL_LOGGING_VARIABLES = ['POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_METRICS_DISABLED'] as const;

export function lambdaEnvironment(
  definition: FunctionDefinition,
  credentials: { accessKeyId: string; secretAccessKey: string },
  endpoints: { dynamodb: string; secretsManager: string; eventBridge: string },
): Record<string, string> {
  return {
    ...definition.environment,
    // How much the functions log is the developer's choice locally (npm start's LOG_LEVEL; tests silence them).
    ...Object.fromEntries(LOCAL_LOGGING_VARIABLES.flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : []))),
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_LAMBDA_FUNCTION_NAME: definition.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${definition.functionName}`,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    TZ: ':UTC',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventBridge,
    // The SDK's notice about Node 20 is known (TOOLCHAIN.md): Lambda runs Node 22.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...(process.env.PATH && { PATH: process.env.PATH }),
  };
}

/** The entries of a PutEvents request (at most 10, as the bus takes them); none when it is malformed (the bus answers that itself). */
function putEventsEntries(text: string): Array<{ Source?: string; DetailType?: string; EventBusName?: string }> {
  try {
    return ((JSON.parse(text) as { Entries?: Array<{ Source?: string; DetailType?: string; EventBusName?: string }> }).Entries ?? []).slice(0, 10);
  } catch {
    return [];
  }
}
