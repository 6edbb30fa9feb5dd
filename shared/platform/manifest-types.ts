/** The types of manifest entries (see shared/service/manifest.ts). */
import type { ConfigKey } from './config.js';
import type { TableKey } from './tables.js';
import type { OperatorRole } from './operator-roles.js';
// Type-only: infra/ and local/ read the manifest's types without loading zod for them.
import type * as z from './zod.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route. `service`: other services (IAM auth in AWS, the service bearer token
 * locally). `operator`: support engineers and operators (a JWT authorizer in AWS, the operator
 * bearer token locally); an operator token is also accepted on service routes. `webhook`: a third
 * party proving a shared secret in a header (GitLab's X-Gitlab-Token): a Lambda request authorizer
 * in AWS; locally no bearer token, the handler checks the header (it does in AWS too). `public`:
 * no credentials at all, for what a browser loads before it can send a bearer header (the admin
 * page's static assets, which carry no data); no authorizer in AWS, no token check locally. The
 * stack's tests list exactly which routes may be public.
 */
export type AuthKind = 'service' | 'operator' | 'webhook' | 'public';

/** What the OpenAPI document (shared/service/openapi.ts) says about a route. */
export interface RouteDoc {
  readonly summary: string;
  /** The request body's schema; absent for a route that takes none. */
  readonly body?: z.ZodMiniType;
  /** What a success (200, or `status`) carries; absent for a route that never answers 200. */
  readonly response?: z.ZodMiniType;
  /** The success status when it is not 200 (202: accepted, done asynchronously). */
  readonly status?: 202;
  /** The route takes `?dryRun=true`. */
  readonly dryRun?: boolean;
  /** The 200 answer's media type when it is not JSON (the admin page's files). */
  readonly contentType?: string;
}

interface HttpTriggerBase {
  readonly kind: 'http';
  readonly method: HttpMethod;
  /** API Gateway route path, with `{name}` path parameters. */
  readonly path: string;
  /** Its entry in the OpenAPI document: every route is documented where it is declared. */
  readonly doc: RouteDoc;
}

/**
 * An HTTP route. An operator route names the least operator role that may call it
 * (shared/platform/operator-roles.ts): the stack requires that role's scopes on the JWT authorizer,
 * the local runtime checks the token's role, and the handler checks again.
 */
export type HttpTrigger = HttpTriggerBase &
  (
    | { readonly auth: 'operator'; readonly role: OperatorRole }
    | { readonly auth: Exclude<AuthKind, 'operator'>; readonly role?: undefined }
  );

/** An EventBridge event pattern, as EventBridge takes it. */
export type EventPattern = { readonly [field: string]: unknown };

export interface EventTrigger {
  readonly kind: 'event';
  readonly pattern: EventPattern;
}

export interface ScheduleTrigger {
  readonly kind: 'schedule';
  /** EventBridge cron expression fields, UTC: `cron(minutes hours day-of-month month day-of-week year)`. */
  readonly cron: string;
}

export interface StreamTrigger {
  readonly kind: 'stream';
  readonly table: TableKey;
  readonly batchSize: number;
}

export type Trigger = HttpTrigger | EventTrigger | ScheduleTrigger | StreamTrigger;

/** `read`: GetItem/BatchGetItem/Query only. `readWrite`: also writes, conditional or transactional. */
export type TableAccess = 'read' | 'readWrite';

/** Events of one source that a function puts on the bus. */
export interface PublishedEvents {
  readonly source: string;
  readonly detailTypes: readonly string[];
}

export interface FunctionSpec {
  /** Unique, kebab-case; names the Lambda and its log group. */
  readonly name: string;
  readonly description: string;
  /** The handler module, from the repository root; it exports `handler`. */
  readonly entry: string;
  readonly triggers: readonly Trigger[];
  readonly tables: Readonly<Partial<Record<TableKey, TableAccess>>>;
  /**
   * The events it puts on the `provisioning` bus beyond `Provisioning Failed` (which every function
   * with an HTTP route may publish for its own 5xx): the stack grants `events:PutEvents` for exactly
   * these sources and detail-types.
   */
  readonly publishes?: readonly PublishedEvents[];
  /**
   * Kept for manifests written before `publishes`: grants `Provisioning Failed` only (a sync
   * handler's failure report), never other detail-types. Name anything else in `publishes`.
   */
  readonly publishesEvents?: boolean;
  /** Defaults to FUNCTION_DEFAULTS.timeoutSeconds. */
  readonly timeoutSeconds?: number;
  /** Defaults to FUNCTION_DEFAULTS.memoryMb. */
  readonly memoryMb?: number;
  /**
   * Where a failed asynchronous invocation goes: `bus` (default; the failure record reaches the
   * error log) or `queue` (an SQS dead-letter queue: for the error-log writer itself, which must
   * not feed its own failures back to itself).
   */
  readonly asyncFailures?: 'bus' | 'queue';
  /** Settings and secrets the function reads (shared/platform/config.ts); the stack passes and grants exactly these. */
  readonly config?: readonly ConfigKey[];
}

/**
 * What every function gets unless its spec says otherwise, in AWS (infra/service-function.ts) and
 * locally (local/functions.ts) alike: a handler that fits in AWS fits on one machine, and a timeout
 * hit locally is the one AWS would hit.
 */
export const FUNCTION_DEFAULTS = {
  memoryMb: 512,
  timeoutSeconds: 10,
  /** Retries of a failed asynchronous invocation (rule or schedule) before its failure record: 3 attempts in all. */
  asyncRetryAttempts: 2,
  /** Powertools' `service` key on every log line and metric. */
  serviceName: 'provisioning',
} as const;

/**
 * How a function invoked asynchronously (an event rule's or a schedule's target) retries: the
 * stack's EventInvokeConfig (infra/service-function.ts) and the local bus and scheduler alike. After
 * the retries, or once the event is older than the maximum age, the invocation record goes to the
 * function's onFailure destination (`RetriesExhausted` or `EventAgeExceeded`). Lambda's own
 * defaults: 2 retries, 6 hours.
 */
export const ASYNC_INVOKE_DEFAULTS = {
  /** Retries after the first attempt: 3 attempts in all. */
  maximumRetryAttempts: FUNCTION_DEFAULTS.asyncRetryAttempts,
  /** An event not handled successfully within this age is not tried again. */
  maximumEventAgeSeconds: 6 * 3600,
} as const;

export interface AsyncInvokeSettings {
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeSeconds: number;
}

/**
 * How a stream trigger's event source mapping consumes its table's stream, in the stack
 * (DynamoEventSource) and in the local poller (local/streams.ts) alike; the batch size is the
 * trigger's. As Lambda counts them: `maximumRetryAttempts` are retries after the first invocation
 * of a batch (a record that always fails is invoked 1 + 10 times once isolated); splitting a failed
 * batch in two (`bisectBatchOnError`) does not count as a retry; `-1` means no limit (until the
 * record leaves the stream after 24 hours). `maximumRecordAgeSeconds` `-1`: no age limit, as
 * DynamoEventSource's default. A batch given up on goes to the mapping's on-failure destination as
 * a pointer (shard and sequence numbers), not its records: the stream keeps them for 24 hours.
 */
export const STREAM_CONSUMER_DEFAULTS = {
  startingPosition: 'TRIM_HORIZON',
  bisectBatchOnError: true,
  maximumRetryAttempts: 10,
  maximumRecordAgeSeconds: -1,
  reportBatchItemFailures: true,
} as const;

/** The settings a function runs with: its spec's, else the defaults. */
export interface FunctionSettings {
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

/**
 * @example
 * functionSettings({ ...spec, timeoutSeconds: 30 }) // { memoryMb: 512, timeoutSeconds: 30 }
 */
export const functionSettings = (spec: Pick<FunctionSpec, 'memoryMb' | 'timeoutSeconds'>): FunctionSettings => ({
  memoryMb: spec.memoryMb ?? FUNCTION_DEFAULTS.memoryMb,
  timeoutSeconds: spec.timeoutSeconds ?? FUNCTION_DEFAULTS.timeoutSeconds,
});

export const BUS_NAME = 'provisioning';
export const COMMERCE_SOURCE = 'customers-portal';
export const SERVICE_SOURCE = 'provisioning-service';
/** How long the bus archive keeps events for replay: the error log keeps its occurrence markers a day longer. */
export const EVENT_ARCHIVE_RETENTION_DAYS = 90;

