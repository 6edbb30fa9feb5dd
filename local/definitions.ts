/**
 * What the local runtime runs each function with — its code, memory, timeout, environment, IAM
 * policy, async-invoke and stream settings — as a FunctionDefinition, from one of two sources:
 *
 * - `definitionsFromSource` (npm start): the manifest and infra/function-config.ts, the same code
 *   that builds the stack's environment and grants, with the local resources in place of the
 *   stack's tokens. No synth needed.
 * - `definitionsFromTemplate` (npm start -- --bundles, local/template.ts): the synthesized template
 *   itself and its bundles.
 *
 * test/infra/local-definitions.test.ts proves the two equal, function by function. Locally a
 * function gets exactly what its template gives it, less LOCAL_ENVIRONMENT_DIFFERENCES: a handler
 * reading a variable its template does not set fails here as it would in AWS.
 *
 * flow: manifest + function-config (or template) + local resources --> FunctionDefinition[] --> runtime's workers
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_CONTEXT,
  type FunctionRefs,
  functionEnvironment,
  functionStatements,
  isInvokedAsync,
  type PolicyStatement,
  STACK_NAME,
} from '../infra/function-config.js';
import { config, type ConfigKey } from '../shared/platform/config.js';
import { OPERATOR_JWT_ENV, OPERATOR_ROLES } from '../shared/platform/operator-roles.js';
import { type TableKey, tableSpecs } from '../shared/platform/tables.js';
import { webhookAuthorizerFunction } from '../shared/error-log/manifest.js';
import { type FunctionSpec, functionSettings, functions as manifestFunctions } from '../shared/service/manifest.js';
import { ASYNC_INVOKE_DEFAULTS, STREAM_CONSUMER_DEFAULTS } from '../shared/platform/manifest-types.js';

export type { PolicyStatement } from '../infra/function-config.js';
export { definitionsFromTemplate } from './template.js';

/** The repository root, whatever the cwd: manifest entries are relative to it. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The keys of the config items that are secrets (their value is read from Secrets Manager in AWS). */
export type SecretKey = { [K in ConfigKey]: (typeof config)[K]['kind'] extends 'secret' ? K : never }[ConfigKey];

export interface AsyncInvokeConfig {
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
}

export interface StreamMapping {
  table: TableKey;
  batchSize: number;
  bisectBatchOnError: boolean;
  maximumRetryAttempts: number;
  /** -1 = unlimited. */
  maximumRecordAgeSeconds: number;
  reportBatchItemFailures: boolean;
}

export interface FunctionDefinition {
  /** Manifest name, e.g. 'subscription-renewed' (also 'webhook-authorizer'). */
  name: string;
  /** The AWS name, `${STACK_NAME}-${name}`. */
  functionName: string;
  /** Absolute paths: the .ts entry, or cdk.out/asset.<hash>/index.js. */
  code: { kind: 'source'; file: string } | { kind: 'bundle'; file: string };
  memoryMb: number;
  timeoutSeconds: number;
  reservedConcurrency?: number;
  /** What the template gives, resolved to local resources (NOT the AWS_* credentials/endpoints: the runtime adds those). */
  environment: Readonly<Record<string, string>>;
  /** Memoized; lazy because source mode derives DynamoDB actions with esbuild (~0.15 s per function). */
  policy(): readonly PolicyStatement[];
  /** Functions invoked by rules/schedules. */
  asyncInvoke?: AsyncInvokeConfig;
  streams: readonly StreamMapping[];
}

export interface LocalResources {
  region: string;
  account: string;
  /** Local table names. */
  tables: Record<TableKey, string>;
  busName: string;
  apiId: string;
  /** The local API's base URL (the admin page's default address, as the stage URL is in AWS). */
  apiUrl: string;
  /** What the local Secrets Manager answers for each secret (localSecretValues reads them from the environment). */
  secretValues?: Readonly<Partial<Record<SecretKey, string>>>;
}

/**
 * Lambda's async-invoke settings on every function a rule or schedule invokes, as
 * infra/service-function.ts configures them (ASYNC_INVOKE_DEFAULTS: 2 retries, 6 h of event age).
 */
export const ASYNC_INVOKE: Readonly<AsyncInvokeConfig> = { ...ASYNC_INVOKE_DEFAULTS };

/** The stack's DynamoDB event source settings (STREAM_CONSUMER_DEFAULTS), beside each trigger's table and batch size. */
export const STREAM_CONSUMER: Readonly<Omit<StreamMapping, 'table' | 'batchSize'>> = {
  bisectBatchOnError: STREAM_CONSUMER_DEFAULTS.bisectBatchOnError,
  maximumRetryAttempts: STREAM_CONSUMER_DEFAULTS.maximumRetryAttempts,
  maximumRecordAgeSeconds: STREAM_CONSUMER_DEFAULTS.maximumRecordAgeSeconds,
  reportBatchItemFailures: STREAM_CONSUMER_DEFAULTS.reportBatchItemFailures,
};

/**
 * Where the local environment knowingly differs from the template's, in both modes. Nothing else
 * may: the test comparing source and template definitions applies exactly this list.
 */
export const LOCAL_ENVIRONMENT_DIFFERENCES: ReadonlyArray<{ readonly variable: string; readonly reason: string }> = [
  {
    variable: OPERATOR_JWT_ENV.issuer,
    reason:
      "The local gateway is the operators' authorizer and its bearer tokens are not JWTs: with no issuer the handlers take the gateway's claims instead of verifying a JWT again (shared/platform/http/operator-token.ts).",
  },
];

/** `environment` less the variables LOCAL_ENVIRONMENT_DIFFERENCES names. */
export function withLocalDifferences(environment: Readonly<Record<string, string>>): Record<string, string> {
  const local = { ...environment };
  for (const { variable } of LOCAL_ENVIRONMENT_DIFFERENCES) delete local[variable];
  return local;
}

/**
 * The local resources' ARNs, shaped as the template's: a table grant's index ARN is the table's
 * plus `/index/*`; a stream is granted as the table's `/stream/*` (any stream label of the table).
 *
 * @example
 * localArns(resources).table('state') // 'arn:aws:dynamodb:eu-west-1:000000000000:table/provisioning-state'
 * localArns(resources).secret('slackWebhookUrl') // 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:provisioning-slackWebhookUrl'
 */
export function localArns(resources: Pick<LocalResources, 'region' | 'account' | 'tables' | 'busName'>) {
  const { region, account } = resources;
  const table = (key: TableKey): string => {
    const name = resources.tables[key];
    if (!name) throw new Error(`No local table for "${key}": LocalResources.tables must name every table of shared/platform/tables.ts`);
    return `arn:aws:dynamodb:${region}:${account}:table/${name}`;
  };
  return {
    table,
    index: (key: TableKey): string => `${table(key)}/index/*`,
    stream: (key: TableKey): string => `${table(key)}/stream/*`,
    bus: `arn:aws:events:${region}:${account}:event-bus/${resources.busName}`,
    secret: (key: ConfigKey): string => `arn:aws:secretsmanager:${region}:${account}:secret:provisioning-${key}`,
  };
}

/** Each secret's value from the developer's environment (its plain variable, e.g. SLACK_WEBHOOK_URL), when set. */
export function localSecretValues(env: Readonly<Record<string, string | undefined>> = process.env): Partial<Record<SecretKey, string>> {
  const values: Partial<Record<SecretKey, string>> = {};
  for (const key of Object.keys(config) as ConfigKey[]) {
    const item = config[key];
    const value = env[item.env]?.trim();
    if (item.kind === 'secret' && value) values[key as SecretKey] = value;
  }
  return values;
}

/**
 * The references function-config resolves, locally: the local names and ARNs; settings from the
 * runtime's environment (the context of a local run); the operator JWT settings of the stack's
 * defaults, without the issuer (LOCAL_ENVIRONMENT_DIFFERENCES).
 */
export function localRefs(resources: LocalResources, env: Readonly<Record<string, string | undefined>> = process.env): FunctionRefs {
  const arns = localArns(resources);
  const indexed = new Set(tableSpecs.filter((t) => (t.globalIndexes?.length ?? 0) > 0).map((t) => t.key));
  const scopes = DEFAULT_CONTEXT['provisioning:operatorScopes'];
  return {
    busName: resources.busName,
    busArn: arns.bus,
    apiId: resources.apiId,
    apiUrl: resources.apiUrl,
    table: (key) => (resources.tables[key] ? { name: resources.tables[key], arn: arns.table(key), hasIndexes: indexed.has(key) } : undefined),
    secretArn: (key) => arns.secret(key),
    setting: (key) => {
      const item = config[key];
      if (item.kind !== 'setting') return undefined;
      const value = env[item.env]?.trim();
      return value ? value : undefined;
    },
    operatorJwt: {
      // In the stack's order of roles, as settingsFromContext builds them.
      scopes: Object.fromEntries(OPERATOR_ROLES.map((role) => [role, scopes[role]])) as Record<(typeof OPERATOR_ROLES)[number], string>,
      audience: DEFAULT_CONTEXT['provisioning:jwtAudience'],
      nameClaim: DEFAULT_CONTEXT['provisioning:operatorNameClaim'],
      maxAgeSeconds: DEFAULT_CONTEXT['provisioning:jwtMaxAgeSeconds'],
    },
  };
}

/** The functions the stack builds: the manifest's, and the webhook authorizer when a route needs it. */
export function sourceSpecs(specs: readonly FunctionSpec[] = manifestFunctions): FunctionSpec[] {
  const needsAuthorizer = specs.some((s) => s.triggers.some((t) => t.kind === 'http' && t.auth === 'webhook'));
  return [...specs, ...(needsAuthorizer && !specs.some((s) => s.name === webhookAuthorizerFunction.name) ? [webhookAuthorizerFunction] : [])];
}

/**
 * Every function's definition from the manifest and infra/function-config.ts (npm start). The
 * policy is derived on first call (esbuild reads each handler's DynamoDB calls).
 *
 * @example
 * const defs = definitionsFromSource({ region: 'eu-west-1', account: '000000000000', tables, busName: 'provisioning', apiId: 'local', apiUrl: 'http://127.0.0.1:3000' });
 * defs.find((d) => d.name === 'outbox-publisher')?.streams // [{ table: 'state', batchSize: 100, … }]
 */
export function definitionsFromSource(
  resources: LocalResources,
  options: { repoRoot?: string; specs?: FunctionSpec[]; env?: Readonly<Record<string, string | undefined>> } = {},
): FunctionDefinition[] {
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const specs = options.specs ?? sourceSpecs();
  const refs = localRefs(resources, options.env);
  const seen = new Set<string>();
  return specs.map((spec) => {
    if (seen.has(spec.name)) throw new Error(`Manifest lists function "${spec.name}" twice`);
    seen.add(spec.name);
    const { memoryMb, timeoutSeconds } = functionSettings(spec);
    let policy: readonly PolicyStatement[] | undefined;
    return {
      name: spec.name,
      functionName: `${STACK_NAME}-${spec.name}`,
      code: { kind: 'source', file: path.resolve(repoRoot, spec.entry) },
      memoryMb,
      timeoutSeconds,
      environment: Object.freeze(withLocalDifferences(functionEnvironment(spec, refs))),
      policy: () => (policy ??= Object.freeze(functionStatements(spec, refs, repoRoot))),
      ...(isInvokedAsync(spec) && { asyncInvoke: { ...ASYNC_INVOKE } }),
      streams: spec.triggers.flatMap((t) => (t.kind === 'stream' ? [{ table: t.table, batchSize: t.batchSize, ...STREAM_CONSUMER }] : [])),
    };
  });
}
