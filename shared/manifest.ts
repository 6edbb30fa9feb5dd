/**
 * The manifest: every function of the service, what triggers it and which tables it may touch.
 * It is the single source of truth. The CDK stack (infra/) builds each function, route, rule,
 * schedule, stream mapping and IAM grant from it; the local runtime (local/) serves the same routes,
 * routes the same events and feeds the same streams from it. Adding a function is one entry here
 * plus its handler under functions/.
 */
import type { TableKey } from './tables.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route. `service`: other services (IAM auth in AWS, the service bearer token
 * locally). `operator`: support engineers and operators (a JWT authorizer in AWS, the operator
 * bearer token locally); an operator token is also accepted on service routes.
 */
export type AuthKind = 'service' | 'operator';

export interface HttpTrigger {
  readonly kind: 'http';
  readonly method: HttpMethod;
  /** API Gateway route path, with `{name}` path parameters. */
  readonly path: string;
  readonly auth: AuthKind;
}

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

export interface FunctionSpec {
  /** Unique, kebab-case; names the Lambda and its log group. */
  readonly name: string;
  readonly description: string;
  /** The handler module, from the repository root; it exports `handler`. */
  readonly entry: string;
  readonly triggers: readonly Trigger[];
  readonly tables: Readonly<Partial<Record<TableKey, TableAccess>>>;
  /** May put events on the `provisioning` bus. */
  readonly publishesEvents?: boolean;
  readonly timeoutSeconds?: number;
  readonly memoryMb?: number;
}

export const BUS_NAME = 'provisioning';
export const COMMERCE_SOURCE = 'customers-portal';
export const SERVICE_SOURCE = 'provisioning-service';

const commerceEvent = (detailType: string): EventTrigger => ({
  kind: 'event',
  pattern: { source: [COMMERCE_SOURCE], 'detail-type': [detailType] },
});

const commandTables = { state: 'readWrite', idempotency: 'readWrite' } as const;

export const functions: readonly FunctionSpec[] = [
  {
    name: 'subscription-created',
    description: 'Applies Subscription Created: a new paid term on a namespace (converts a trial).',
    entry: 'functions/subscription-created/handler.ts',
    triggers: [
      { kind: 'http', method: 'POST', path: '/v1/subscriptions', auth: 'service' },
      commerceEvent('Subscription Created'),
    ],
    tables: commandTables,
  },
  {
    name: 'subscription-renewed',
    description: 'Applies Subscription Renewed: a new term, the seat peak starts again.',
    entry: 'functions/subscription-renewed/handler.ts',
    triggers: [
      { kind: 'http', method: 'POST', path: '/v1/subscriptions/{subscriptionId}/renewals', auth: 'service' },
      commerceEvent('Subscription Renewed'),
    ],
    tables: commandTables,
  },
  {
    name: 'entitlements-updated',
    description: 'Applies Subscription Entitlements Updated: mid-term seats, plan or reconciliation date.',
    entry: 'functions/entitlements-updated/handler.ts',
    triggers: [
      { kind: 'http', method: 'POST', path: '/v1/subscriptions/{subscriptionId}/entitlements', auth: 'service' },
      commerceEvent('Subscription Entitlements Updated'),
    ],
    tables: commandTables,
  },
  {
    name: 'subscription-expired',
    description: 'Applies Subscription Expired: the namespace returns to free, nothing owed.',
    entry: 'functions/subscription-expired/handler.ts',
    triggers: [
      { kind: 'http', method: 'POST', path: '/v1/subscriptions/{subscriptionId}/expiry', auth: 'service' },
      commerceEvent('Subscription Expired'),
    ],
    tables: commandTables,
  },
  {
    name: 'trial-started',
    description: 'Applies Trial Started on a namespace.',
    entry: 'functions/trial-started/handler.ts',
    triggers: [
      { kind: 'http', method: 'POST', path: '/v1/namespaces/{namespaceId}/trials', auth: 'service' },
      commerceEvent('Trial Started'),
    ],
    tables: commandTables,
  },
  {
    name: 'trial-ended',
    description: 'Applies Trial Ended: back to free unless a paid term is active.',
    entry: 'functions/trial-ended/handler.ts',
    triggers: [
      { kind: 'http', method: 'POST', path: '/v1/namespaces/{namespaceId}/trials/end', auth: 'service' },
      commerceEvent('Trial Ended'),
    ],
    tables: commandTables,
  },
  {
    name: 'seat-usage-reported',
    description: 'Applies Seat Usage Reported: the daily measurement of seats in use.',
    entry: 'functions/seat-usage-reported/handler.ts',
    triggers: [
      { kind: 'http', method: 'PUT', path: '/v1/namespaces/{namespaceId}/seat-usage', auth: 'service' },
      commerceEvent('Seat Usage Reported'),
    ],
    tables: commandTables,
  },
  {
    name: 'subscription-reads',
    description: 'Reads a namespace subscription state, a subscription, and its history.',
    entry: 'functions/subscription-reads/handler.ts',
    triggers: [
      { kind: 'http', method: 'GET', path: '/v1/namespaces/{namespaceId}/subscription', auth: 'service' },
      { kind: 'http', method: 'GET', path: '/v1/subscriptions/{subscriptionId}', auth: 'service' },
      { kind: 'http', method: 'GET', path: '/v1/subscriptions/{subscriptionId}/history', auth: 'service' },
    ],
    tables: { state: 'read' },
  },
  {
    name: 'openapi',
    description: 'Serves the API as OpenAPI 3.1, generated from the zod schemas.',
    entry: 'functions/openapi/handler.ts',
    triggers: [{ kind: 'http', method: 'GET', path: '/openapi.json', auth: 'service' }],
    tables: {},
  },
  {
    name: 'outbox-publisher',
    description: "Publishes Namespace Subscription Changed from the state table's stream (the outbox).",
    entry: 'functions/outbox-publisher/handler.ts',
    triggers: [{ kind: 'stream', table: 'state', batchSize: 100 }],
    tables: {},
    publishesEvents: true,
  },
];

export const httpRoutes = (): Array<HttpTrigger & { fn: FunctionSpec }> =>
  functions.flatMap((fn) =>
    fn.triggers.filter((t): t is HttpTrigger => t.kind === 'http').map((t) => ({ ...t, fn })),
  );
