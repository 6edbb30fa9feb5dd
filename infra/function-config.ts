/**
 * What each function of the manifest is given: its environment variables and the IAM statements of
 * its grants. One code for both places that need them: the CDK stack (infra/provisioning-stack.ts),
 * where the references are CDK tokens (`table.tableName`, `bus.eventBusArn`, `secret.secretArn`…),
 * and the local runtime (local/definitions.ts), where they are the local names and ARNs. So what a
 * handler reads and may call locally is what its Lambda is given, and a test proves it against the
 * synthesized template (test/infra/local-definitions.test.ts).
 *
 * flow: manifest entry + references --> environment, statements --> stack (tokens) | local runtime (strings)
 *
 * Imports no aws-cdk-lib: the local runtime loads this module at start and must be up in seconds.
 */
import { HTTP_API_ID_ENV } from '../shared/platform/http/api-origin.js';
import { config, type ConfigKey } from '../shared/platform/config.js';
import { LAMBDA_FAILURE_DETAIL_TYPE, PROVISIONING_FAILED } from '../shared/platform/failure-events.js';
import {
  FUNCTION_DEFAULTS,
  type FunctionSpec,
  type HttpTrigger,
  type PublishedEvents,
  SERVICE_SOURCE,
  type TableAccess,
} from '../shared/platform/manifest-types.js';
import {
  DEFAULT_MAX_AGE_SECONDS,
  DEFAULT_ROLE_SCOPES,
  OPERATOR_JWT_ENV,
  OPERATOR_ROUTES_ENV,
  OPERATOR_SCOPES_ENV,
  type OperatorRole,
  operatorRouteRoles,
} from '../shared/platform/operator-roles.js';
import { type TableKey, tableEnvVar } from '../shared/platform/tables.js';
import { dynamodbActionsOf, READ_ACTIONS } from './dynamodb-calls.js';

/** The stack's name: each function is named `${STACK_NAME}-${spec.name}`. */
export const STACK_NAME = 'ProvisioningService';

export const CONTEXT_KEYS = {
  jwtIssuer: 'provisioning:jwtIssuer',
  jwtAudience: 'provisioning:jwtAudience',
  operatorScopes: 'provisioning:operatorScopes',
  operatorNameClaim: 'provisioning:operatorNameClaim',
  jwtMaxAgeSeconds: 'provisioning:jwtMaxAgeSeconds',
  logRetentionDays: 'provisioning:logRetentionDays',
} as const;

/**
 * The issuer is a placeholder to be set (README, Deploying): a dedicated OAuth application's
 * issuer, never a Git instance's CI issuer (anyone who can run a CI job there mints tokens with
 * the audience of their choice). `.invalid` never resolves: until it is set, no operator gets in.
 */
export const DEFAULT_CONTEXT = {
  [CONTEXT_KEYS.jwtIssuer]: 'https://operator-issuer.invalid',
  [CONTEXT_KEYS.jwtAudience]: 'provisioning-operators',
  [CONTEXT_KEYS.operatorScopes]: DEFAULT_ROLE_SCOPES,
  [CONTEXT_KEYS.operatorNameClaim]: 'name,preferred_username',
  [CONTEXT_KEYS.jwtMaxAgeSeconds]: DEFAULT_MAX_AGE_SECONDS,
  [CONTEXT_KEYS.logRetentionDays]: 30,
} as const;

/** An IAM policy statement as plain data (the stack turns it into an `iam.PolicyStatement`). */
export interface PolicyStatement {
  effect: 'Allow' | 'Deny';
  actions: readonly string[];
  resources: readonly string[];
  conditions?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** A table as a function sees it: the name in its environment, the ARN in its grants. */
export interface TableRef {
  readonly name: string;
  readonly arn: string;
  /** The table has global secondary indexes (a Query grant then covers `<arn>/index/*`). */
  readonly hasIndexes: boolean;
}

/** How operators' JWTs are checked again in the handlers (the stack's `provisioning:*` context). */
export interface OperatorJwtSettings {
  /** Unset: no JWT is verified in the handler (locally, where the gateway is the authorizer). */
  readonly issuer?: string;
  readonly audience: string;
  readonly scopes: Readonly<Record<OperatorRole, string>>;
  readonly nameClaim: string;
  readonly maxAgeSeconds: number;
}

/**
 * The names and ARNs a function's environment and grants refer to: CDK tokens in the stack, the
 * local resources' values locally.
 */
export interface FunctionRefs {
  readonly busName: string;
  readonly busArn: string;
  readonly apiId: string;
  /** The API's base URL: the admin page's default address (ADMIN_BASE_URL). */
  readonly apiUrl: string;
  /** Undefined for a table with no spec: the function's manifest entry is then wrong. */
  table(key: TableKey): TableRef | undefined;
  secretArn(key: ConfigKey): string;
  /** A setting's configured value (context in the stack, the runtime's environment locally), or undefined. */
  setting(key: ConfigKey): string | undefined;
  readonly operatorJwt: OperatorJwtSettings;
}

/** The environment variables Powertools reads, the same for every function. */
export const POWERTOOLS_ENVIRONMENT: Readonly<Record<string, string>> = {
  POWERTOOLS_SERVICE_NAME: FUNCTION_DEFAULTS.serviceName,
  POWERTOOLS_LOG_LEVEL: 'INFO',
};

const httpTriggersOf = (spec: FunctionSpec) => spec.triggers.filter((t): t is HttpTrigger => t.kind === 'http');

/** Rules and schedules invoke asynchronously: a failure after Lambda's retries must go somewhere. */
export const isInvokedAsync = (spec: FunctionSpec): boolean => spec.triggers.some((t) => t.kind === 'event' || t.kind === 'schedule');

/** A failed async invocation goes to the bus as a failure record, unless the spec sends it to a queue. */
export const failsToBus = (spec: FunctionSpec): boolean => isInvokedAsync(spec) && spec.asyncFailures !== 'queue';

function tableOf(spec: FunctionSpec, refs: FunctionRefs, key: TableKey): TableRef {
  const table = refs.table(key);
  if (!table) throw new Error(`Function "${spec.name}" uses table "${key}", which has no spec in shared/platform/tables.ts`);
  return table;
}

/**
 * The environment of a function, in the order the stack has always written it: the bus, the API id
 * (HTTP functions), the operator routes' checks (operator functions), its tables, its settings and
 * secrets' ids, Powertools' settings.
 *
 * @example
 * functionEnvironment(spec, refs) // { EVENT_BUS_NAME: 'provisioning', TABLE_STATE: 'provisioning-state', …, POWERTOOLS_LOG_LEVEL: 'INFO' }
 */
export function functionEnvironment(spec: FunctionSpec, refs: FunctionRefs): Record<string, string> {
  const httpTriggers = httpTriggersOf(spec);
  const environment: Record<string, string> = { EVENT_BUS_NAME: refs.busName };
  // A request event names the API it came through: one that names another (a direct invoke
  // forging a requestContext) is refused (shared/platform/http/handler.ts).
  if (httpTriggers.length > 0) environment[HTTP_API_ID_ENV] = refs.apiId;
  // Operator routes: the handler verifies the JWT again (shared/platform/http/operator-token.ts)
  // and checks the role each of its routes needs, from the manifest.
  if (httpTriggers.some((t) => t.auth === 'operator')) {
    const jwt = refs.operatorJwt;
    environment[OPERATOR_ROUTES_ENV] = JSON.stringify(operatorRouteRoles(httpTriggers));
    environment[OPERATOR_SCOPES_ENV] = JSON.stringify(jwt.scopes);
    if (jwt.issuer !== undefined) environment[OPERATOR_JWT_ENV.issuer] = jwt.issuer;
    environment[OPERATOR_JWT_ENV.audience] = jwt.audience;
    environment[OPERATOR_JWT_ENV.maxAgeSeconds] = String(jwt.maxAgeSeconds);
    environment[OPERATOR_JWT_ENV.nameClaim] = jwt.nameClaim;
  }
  for (const key of Object.keys(spec.tables) as TableKey[]) environment[tableEnvVar(key)] = tableOf(spec, refs, key).name;
  // Settings as values, secrets as the ARN of their Secrets Manager secret (read at run time).
  for (const key of spec.config ?? []) {
    const item = config[key];
    if (item.kind === 'secret') environment[item.secretIdEnv] = refs.secretArn(key);
    else {
      // The admin page is served by the API unless told otherwise.
      const value = refs.setting(key) ?? (key === 'adminBaseUrl' ? refs.apiUrl : undefined);
      if (value !== undefined) environment[item.env] = value;
    }
  }
  return { ...environment, ...POWERTOOLS_ENVIRONMENT };
}

/** A table grant and whether it reaches the table's indexes (`<table ARN>/index/*`). */
export interface TableGrant {
  readonly table: TableKey;
  readonly statement: PolicyStatement;
  readonly onIndexes: boolean;
}

/**
 * Least privilege: on the tables the manifest names, the actions the function's code calls
 * (infra/dynamodb-calls.ts, an esbuild bundle of the handler: ~0.15 s the first time); a table
 * marked `read` gets only the reading ones. A Query grant on a table with indexes covers them.
 */
export function tableGrants(spec: FunctionSpec, refs: FunctionRefs, repoRoot: string): TableGrant[] {
  const tableAccess = Object.entries(spec.tables) as Array<[TableKey, TableAccess]>;
  if (tableAccess.length === 0) return [];
  const calls = dynamodbActionsOf(repoRoot, spec.entry);
  return tableAccess.map(([key, access]) => {
    const table = tableOf(spec, refs, key);
    const actions = access === 'read' ? calls.filter((a) => READ_ACTIONS.includes(a)) : [...calls];
    if (actions.length === 0) {
      throw new Error(`Function "${spec.name}" lists table "${key}" in the manifest, but its code makes no DynamoDB call: remove the table from its spec`);
    }
    const onIndexes = actions.includes('dynamodb:Query') && table.hasIndexes;
    return { table: key, onIndexes, statement: { effect: 'Allow', actions, resources: [table.arn, ...(onIndexes ? [`${table.arn}/index/*`] : [])] } };
  });
}

/** Read access to each secret the function's config names (what `Secret.grantRead` grants). */
export function secretStatements(spec: FunctionSpec, refs: FunctionRefs): PolicyStatement[] {
  return (spec.config ?? [])
    .filter((key) => config[key].kind === 'secret')
    .map((key) => ({ effect: 'Allow', actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: [refs.secretArn(key)] }));
}

/** `events:PutEvents` on one bus, only for entries of `source` with one of `detailTypes`. */
export function putEventsStatement(busArn: string, source: string, detailTypes: readonly string[]): PolicyStatement {
  return {
    effect: 'Allow',
    actions: ['events:PutEvents'],
    resources: [busArn],
    // EventBridge evaluates the condition for each entry of the call.
    conditions: { StringEquals: { 'events:source': source, 'events:detail-type': detailTypes.length === 1 ? detailTypes[0]! : detailTypes } },
  };
}

/**
 * What a Lambda onFailure destination on the bus needs: the failure record (source `lambda`, its
 * failure detail-type), which is exactly what the error log's rule routes.
 */
export const failureRecordStatement = (refs: Pick<FunctionRefs, 'busArn'>): PolicyStatement => putEventsStatement(refs.busArn, 'lambda', [LAMBDA_FAILURE_DETAIL_TYPE]);

/**
 * `events:PutEvents` on the service's bus for exactly the sources and detail-types a function
 * publishes: its `publishes`, and `Provisioning Failed` for a function with an HTTP route (its
 * 5xx report). No unconditioned grant.
 */
export function putEventsStatements(spec: FunctionSpec, refs: FunctionRefs): PolicyStatement[] {
  const published: PublishedEvents[] = [...(spec.publishes ?? [])];
  if (httpTriggersOf(spec).length > 0 || spec.publishesEvents) published.push({ source: SERVICE_SOURCE, detailTypes: [PROVISIONING_FAILED] });
  const bySource = new Map<string, Set<string>>();
  for (const { source, detailTypes } of published) {
    if (detailTypes.length === 0) throw new Error(`Function "${spec.name}" publishes from ${source} with no detail-type: name them in its spec`);
    const types = bySource.get(source) ?? new Set<string>();
    for (const type of detailTypes) types.add(type);
    bySource.set(source, types);
  }
  return [...bySource].map(([source, types]) => putEventsStatement(refs.busArn, source, [...types].sort()));
}

/**
 * Every statement the function's handler may need, in the template's order: the failure record
 * its onFailure destination puts on the bus, its tables, its secrets, its events. Not here: what
 * the CDK grants for the platform's own work (log group writes, an SQS destination or DLQ, a
 * stream's reads for its event source mapping), which no handler code calls.
 *
 * @example
 * functionStatements(spec, refs, REPO_ROOT) // [{ effect: 'Allow', actions: ['dynamodb:GetItem', …], resources: ['arn:…:table/…'] }, …]
 */
export function functionStatements(spec: FunctionSpec, refs: FunctionRefs, repoRoot: string): PolicyStatement[] {
  return [
    ...(failsToBus(spec) ? [failureRecordStatement(refs)] : []),
    ...tableGrants(spec, refs, repoRoot).map((g) => g.statement),
    ...secretStatements(spec, refs),
    ...putEventsStatements(spec, refs),
  ];
}
