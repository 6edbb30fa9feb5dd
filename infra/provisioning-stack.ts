import { fileURLToPath } from 'node:url';
import { App, type CfnElement, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  HttpApi,
  HttpMethod,
  type HttpRoute,
  HttpNoneAuthorizer,
  type HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer, HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  type Attribute,
  AttributeType,
  Billing,
  ProjectionType,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, type EventPattern, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { DestinationConfig, DestinationOptions, IDestination, IFunction } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import {
  BUS_NAME,
  type EventTrigger,
  type FunctionSpec,
  functions as manifestFunctions,
  type HttpTrigger,
  type ScheduleTrigger,
  type StreamTrigger,
} from '../shared/service/manifest.js';
import { type KeySpec, type TableKey, type TableSpec, tableEnvVar, tableSpecs as manifestTables } from '../shared/platform/tables.js';
import { config, type ConfigKey } from '../shared/platform/config.js';
import { parsePlanCatalog } from '../shared/lifecycle/domain/plans.js';
import { parseLinkTemplates } from '../shared/error-log/domain/links.js';
import { webhookAuthorizerFunction } from '../shared/error-log/manifest.js';
import { EVENT_ARCHIVE_RETENTION_DAYS, STREAM_CONSUMER_DEFAULTS } from '../shared/platform/manifest-types.js';
import { Observability } from './observability.js';
import {
  CONTEXT_KEYS,
  DEFAULT_CONTEXT,
  failsToBus,
  failureRecordStatement,
  type FunctionRefs,
  functionEnvironment,
  isInvokedAsync,
  type PolicyStatement as StatementData,
  putEventsStatements,
  secretStatements,
  STACK_NAME,
  tableGrants,
} from './function-config.js';
import { ServiceFunction } from './service-function.js';
import { OPERATOR_ROLES, routeScopes } from '../shared/platform/operator-roles.js';
import type { OperatorRole } from '../shared/platform/operator-roles.js';
import { CfnRegistry, CfnSchema } from 'aws-cdk-lib/aws-eventschemas';
import { detailJsonSchema, eventCatalog, schemaName } from '../shared/service/event-catalog.js';

/** The repository root: manifest entries and the lockfile are relative to it, whatever the cwd. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export { CONTEXT_KEYS, DEFAULT_CONTEXT, STACK_NAME } from './function-config.js';

export interface ProvisioningSettings {
  /** Issuer of operator JWTs (the `iss` claim the HTTP API's JWT authorizer accepts). */
  readonly jwtIssuer: string;
  /** Audience of operator JWTs (the `aud` claim). */
  readonly jwtAudience: string;
  /** The OAuth scope of each operator role; a route requires its role's scope or a higher role's. */
  readonly operatorScopes: Readonly<Record<OperatorRole, string>>;
  /** The claims an operator's display name is read from, in order (comma-separated). */
  readonly operatorNameClaim: string;
  /** The oldest operator token the handlers accept, from its `iat` (seconds). */
  readonly jwtMaxAgeSeconds: number;
  readonly logRetention: RetentionDays;
}

/** Reads the `provisioning:*` context (cdk.json or `-c`), falling back to the documented defaults. */
export function settingsFromContext(scope: Construct): ProvisioningSettings {
  const read = (key: keyof typeof DEFAULT_CONTEXT): unknown => scope.node.tryGetContext(key) ?? DEFAULT_CONTEXT[key];
  const jwtIssuer = String(read(CONTEXT_KEYS.jwtIssuer));
  if (!/^https:\/\//.test(jwtIssuer)) {
    throw new Error(`${CONTEXT_KEYS.jwtIssuer} must be an https URL, got "${jwtIssuer}"`);
  }
  const jwtAudience = String(read(CONTEXT_KEYS.jwtAudience));
  if (!jwtAudience) throw new Error(`${CONTEXT_KEYS.jwtAudience} must not be empty`);
  const scopesValue = read(CONTEXT_KEYS.operatorScopes);
  const scopes = (typeof scopesValue === 'string' ? JSON.parse(scopesValue) : scopesValue) as Record<string, unknown>;
  const operatorScopes = Object.fromEntries(OPERATOR_ROLES.map((role) => [role, scopes?.[role]])) as Record<OperatorRole, string>;
  if (!OPERATOR_ROLES.every((role) => typeof operatorScopes[role] === 'string' && /^\S+$/.test(operatorScopes[role])) || new Set(Object.values(operatorScopes)).size !== OPERATOR_ROLES.length) {
    throw new Error(`${CONTEXT_KEYS.operatorScopes} must give each of ${OPERATOR_ROLES.join(', ')} its own scope (no spaces), got ${JSON.stringify(scopesValue)}`);
  }
  const operatorNameClaim = String(read(CONTEXT_KEYS.operatorNameClaim));
  const jwtMaxAgeSeconds = Number(read(CONTEXT_KEYS.jwtMaxAgeSeconds));
  if (!Number.isInteger(jwtMaxAgeSeconds) || jwtMaxAgeSeconds <= 0) throw new Error(`${CONTEXT_KEYS.jwtMaxAgeSeconds} must be a positive number of seconds`);
  const days = Number(read(CONTEXT_KEYS.logRetentionDays));
  const allowed = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number');
  if (!allowed.includes(days)) {
    throw new Error(`${CONTEXT_KEYS.logRetentionDays} must be one of CloudWatch's retention periods (${allowed.join(', ')}), got "${days}"`);
  }
  // Settings the functions would refuse at their first request are refused here, before a deploy.
  const catalog = scope.node.tryGetContext(config.planCatalog.context) as unknown;
  if (catalog !== undefined && catalog !== null && String(catalog) !== '') {
    try {
      parsePlanCatalog(typeof catalog === 'string' ? catalog : JSON.stringify(catalog));
    } catch (error) {
      throw new Error(`${config.planCatalog.context}: ${(error as Error).message}`);
    }
  }
  const links = scope.node.tryGetContext(config.errorLogSubjectLinks.context) as unknown;
  if (links !== undefined && links !== null && String(links) !== '') {
    try {
      parseLinkTemplates(typeof links === 'string' ? links : JSON.stringify(links));
    } catch (error) {
      throw new Error(`${config.errorLogSubjectLinks.context}: ${(error as Error).message}`);
    }
  }
  return { jwtIssuer, jwtAudience, operatorScopes, operatorNameClaim, jwtMaxAgeSeconds, logRetention: days as RetentionDays };
}

export interface ProvisioningStackProps extends StackProps {
  readonly settings: ProvisioningSettings;
  /** Defaults to the manifest; tests pass their own to exercise triggers the manifest lacks. */
  readonly functions?: readonly FunctionSpec[];
  /** Defaults to `shared/platform/tables.ts`. */
  readonly tables?: readonly TableSpec[];
  readonly repoRoot?: string;
}

/** The stage's limit, shared by every route without its own. */
export const STAGE_THROTTLE = { rateLimit: 100, burstLimit: 200 } as const;

/**
 * Routes anyone can call without credentials get their own, low limits (API Gateway route
 * settings), so a flood of anonymous calls is throttled on its route and cannot use up the
 * stage's limit that the service and operator routes share.
 */
export const ROUTE_THROTTLE: Readonly<Partial<Record<HttpTrigger['auth'], { rateLimit: number; burstLimit: number }>>> = {
  // The admin page's static files: a person loads a handful at a time.
  public: { rateLimit: 10, burstLimit: 20 },
  // GitLab's issue webhook: a few calls a day; its authorizer runs before the limit is of use.
  webhook: { rateLimit: 5, burstLimit: 10 },
};

/** Event-rule targets retry delivery (throttling, a missing function) before the target's DLQ. */
const RULE_TARGET_RETRY = { retryAttempts: 4, maxEventAge: Duration.hours(2) } as const;

/**
 * The Provisioning Service: tables, the `provisioning` bus, one Lambda per manifest entry and every
 * route, rule, schedule, stream mapping and grant the manifest declares. Nothing here is written per
 * function: adding a function is a manifest entry plus its handler.
 */
export class ProvisioningStack extends Stack {
  readonly tables: Readonly<Partial<Record<TableKey, TableV2>>>;
  readonly bus: EventBus;
  readonly httpApi: HttpApi;
  readonly httpStage: HttpStage;
  readonly functions: Readonly<Record<string, ServiceFunction>>;
  /** The dashboard, the alarms and their SNS topic (infra/observability.ts). */
  readonly observability: Observability;

  private readonly settings: ProvisioningSettings;
  private readonly tableSpecs: readonly TableSpec[];
  private readonly repoRoot: string;
  private eventTargetDlq?: Queue;
  private streamFailureQueue?: Queue;
  private iamAuthorizer?: HttpIamAuthorizer;
  private jwtAuthorizer?: HttpJwtAuthorizer;
  private webhookAuthorizer?: HttpLambdaAuthorizer;
  private noneAuthorizer?: HttpNoneAuthorizer;
  private asyncFailureQueue?: Queue;
  private readonly secrets: Partial<Record<ConfigKey, Secret>> = {};
  private refs?: FunctionRefs;
  /** The Lambda authorizer of webhook routes, when the manifest has one. */
  webhookAuthorizerFn?: ServiceFunction;

  constructor(scope: Construct, id: string, props: ProvisioningStackProps) {
    super(scope, id, {
      description: 'Provisioning Service: keeps namespaces in step with the subscriptions customers buy.',
      ...props,
    });
    this.settings = props.settings;
    this.repoRoot = props.repoRoot ?? REPO_ROOT;
    const specs = props.functions ?? manifestFunctions;

    this.tableSpecs = props.tables ?? manifestTables;
    this.tables = Object.fromEntries(this.tableSpecs.map((spec) => [spec.key, this.buildTable(spec)]));

    this.bus = new EventBus(this, 'Bus', {
      eventBusName: BUS_NAME,
      description: 'Lifecycle commands from the customers portal, the outbox of state changes, failures.',
    });
    // Replaying commerce events after a bug fix is the cheapest repair of a failed change.
    this.bus.archive('Archive', {
      description: `Every event on the ${BUS_NAME} bus, for replay.`,
      eventPattern: { account: [this.account] },
      retention: Duration.days(EVENT_ARCHIVE_RETENTION_DAYS),
    });

    this.registerEventSchemas();

    ({ api: this.httpApi, stage: this.httpStage } = this.buildHttpApi());

    const built: Record<string, ServiceFunction> = {};
    for (const spec of specs) {
      if (built[spec.name]) throw new Error(`Manifest lists function "${spec.name}" twice`);
      built[spec.name] = this.buildFunction(spec);
    }
    this.functions = built;

    this.observability = new Observability(this, 'Observability', {
      httpApi: this.httpApi,
      functions: { ...built, ...(this.webhookAuthorizerFn && { [webhookAuthorizerFunction.name]: this.webhookAuthorizerFn }) },
      tables: this.tables,
      busName: BUS_NAME,
      deadLetterQueues: { AsyncFailureQueue: this.asyncFailureQueue, EventTargetDlq: this.eventTargetDlq, StreamFailureQueue: this.streamFailureQueue },
    });

    new CfnOutput(this, 'ApiUrl', { value: this.httpStage.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'EventBusName', { value: this.bus.eventBusName });
    for (const [key, table] of Object.entries(this.tables)) {
      new CfnOutput(this, `${pascal(key)}TableName`, {
        value: table.tableName,
        description: `The ${key} table (${tableEnvVar(key as TableKey)} in the functions' environment)`,
      });
    }
  }

  /** The events' zod contracts, registered as JSON Schema (draft 4) in an EventBridge schema registry. */
  private registerEventSchemas(): void {
    const registry = new CfnRegistry(this, 'EventSchemas', {
      registryName: `${BUS_NAME}-events`,
      description: 'Events consumed and published by the Provisioning Service, generated from its zod schemas.',
    });
    for (const entry of eventCatalog) {
      const schema = new CfnSchema(this, `Schema${pascal(schemaName(entry).replace(/[.]/g, '-'))}`, {
        registryName: registry.attrRegistryName,
        schemaName: `${entry.source}@${entry.detailType.replace(/\s+/g, '')}`,
        type: 'JSONSchemaDraft4',
        description: `${entry.direction === 'in' ? 'Consumed' : 'Published'}: detail-type "${entry.detailType}", source ${entry.source}`,
        content: JSON.stringify(detailJsonSchema(entry)),
      });
      schema.addResourceDependency(registry);
    }
  }

  private buildTable(spec: TableSpec): TableV2 {
    return new TableV2(this, `${pascal(spec.key)}Table`, {
      partitionKey: attribute(spec.partitionKey),
      ...(spec.sortKey && { sortKey: attribute(spec.sortKey) }),
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: TableEncryptionV2.awsManagedKey(),
      ...(spec.stream && { dynamoStream: StreamViewType[spec.stream] }),
      ...(spec.ttlAttribute && { timeToLiveAttribute: spec.ttlAttribute }),
      globalSecondaryIndexes: (spec.globalIndexes ?? []).map((gsi) => ({
        indexName: gsi.name,
        partitionKey: attribute(gsi.partitionKey),
        ...(gsi.sortKey && { sortKey: attribute(gsi.sortKey) }),
        projectionType: ProjectionType[gsi.projection],
      })),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  private table(key: TableKey, fn: string): TableV2 {
    const table = this.tables[key];
    if (!table) throw new Error(`Function "${fn}" uses table "${key}", which has no spec in shared/platform/tables.ts`);
    return table;
  }

  private buildHttpApi(): { api: HttpApi; stage: HttpStage } {
    const api = new HttpApi(this, 'HttpApi', {
      apiName: 'provisioning',
      description: 'Provisioning Service API v1',
      // The default stage is added below, with access logging and throttling.
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'HttpApiAccessLogs', {
      retention: this.settings.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stage = api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: STAGE_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            routeKey: '$context.routeKey',
            status: '$context.status',
            ip: '$context.identity.sourceIp',
            latency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            requestTime: '$context.requestTime',
          }),
        ),
      },
    });
    return { api, stage };
  }

  private authorizerFor(auth: HttpTrigger['auth']): IHttpRouteAuthorizer {
    switch (auth) {
      case 'service':
        return (this.iamAuthorizer ??= new HttpIamAuthorizer());
      case 'operator':
        return (this.jwtAuthorizer ??= new HttpJwtAuthorizer('OperatorJwtAuthorizer', this.settings.jwtIssuer, {
          jwtAudience: [this.settings.jwtAudience],
        }));
      case 'webhook':
        // Cached per token value for five minutes: a wrong token costs one invocation, then 403s.
        return (this.webhookAuthorizer ??= new HttpLambdaAuthorizer(
          'WebhookAuthorizer',
          (this.webhookAuthorizerFn ??= this.buildFunction(webhookAuthorizerFunction)).fn,
          {
            identitySource: ['$request.header.X-Gitlab-Token'],
            responseTypes: [HttpLambdaResponseType.SIMPLE],
            resultsCacheTtl: Duration.minutes(5),
          },
        ));
      case 'public':
        // What a browser loads before it can send a bearer header (the admin page's static assets).
        return (this.noneAuthorizer ??= new HttpNoneAuthorizer());
    }
  }

  private buildFunction(spec: FunctionSpec): ServiceFunction {
    const httpTriggers = spec.triggers.filter((t): t is HttpTrigger => t.kind === 'http');
    const eventTriggers = spec.triggers.filter((t): t is EventTrigger => t.kind === 'event');
    const scheduleTriggers = spec.triggers.filter((t): t is ScheduleTrigger => t.kind === 'schedule');
    const streamTriggers = spec.triggers.filter((t): t is StreamTrigger => t.kind === 'stream');
    // Rules and schedules invoke asynchronously: a failure after Lambda's retries must reach the
    // bus (and so the error log) instead of vanishing.
    const invokedAsync = isInvokedAsync(spec);
    const refs = this.functionRefs();

    // The environment and the grants come from infra/function-config.ts, as the local runtime's do.
    const svc = new ServiceFunction(this, spec.name, {
      spec,
      repoRoot: this.repoRoot,
      logRetention: this.settings.logRetention,
      environment: functionEnvironment(spec, refs),
      ...(invokedAsync && {
        async: {
          onFailure: failsToBus(spec) ? new FailureRecordDestination(this.bus, refs) : new SqsDestination(this.asyncFailureDlq()),
        },
      }),
    });
    const { fn } = svc;

    for (const grant of tableGrants(spec, refs, this.repoRoot)) {
      fn.addToRolePolicy(toPolicyStatement(grant.statement));
      if (grant.onIndexes) this.acknowledgeIndexWildcard(svc, grant.table);
    }
    for (const statement of [...secretStatements(spec, refs), ...putEventsStatements(spec, refs)]) fn.addToRolePolicy(toPolicyStatement(statement));

    if (httpTriggers.length > 0) {
      const integration = new HttpLambdaIntegration(`${spec.name}-integration`, fn);
      for (const route of httpTriggers) {
        const routes = this.httpApi.addRoutes({
          path: route.path,
          methods: [HttpMethod[route.method]],
          integration,
          authorizer: this.authorizerFor(route.auth),
          // The JWT authorizer lets a token through when it carries one of these: the route's role's scope or a higher role's.
          ...(route.auth === 'operator' && { authorizationScopes: routeScopes(route.role, this.settings.operatorScopes) }),
        });
        const limit = ROUTE_THROTTLE[route.auth];
        if (limit) for (const r of routes) this.throttleRoute(`${route.method} ${route.path}`, r, limit);
        if (route.auth === 'public') {
          for (const r of routes) {
            Validations.of(r).acknowledge({
              id: 'AwsSolutions-APIG4',
              reason: `${route.method} ${route.path} serves a static asset of the admin page, which carries no data: a browser loads it before it can send a bearer header; every data call the page makes goes to an operator route with the JWT authorizer.`,
            });
          }
        }
      }
    }

    eventTriggers.forEach((trigger, i) => {
      new Rule(svc, `EventRule${i}`, {
        eventBus: this.bus,
        description: `${spec.name}: ${JSON.stringify(trigger.pattern)}`.slice(0, 512),
        eventPattern: toEventPattern(trigger.pattern),
        targets: [new LambdaFunction(fn, { ...RULE_TARGET_RETRY, deadLetterQueue: this.ruleTargetDlq() })],
      });
    });

    scheduleTriggers.forEach((trigger, i) => {
      // Schedules live on the default bus: custom buses do not run scheduled rules.
      new Rule(svc, `Schedule${i}`, {
        description: `${spec.name}: ${trigger.cron}`,
        schedule: Schedule.expression(trigger.cron),
        targets: [new LambdaFunction(fn, { ...RULE_TARGET_RETRY, deadLetterQueue: this.ruleTargetDlq() })],
      });
    });

    for (const trigger of streamTriggers) {
      fn.addEventSource(
        new DynamoEventSource(this.table(trigger.table, spec.name), {
          // The local poller applies the same settings (local/streams.ts).
          startingPosition: StartingPosition[STREAM_CONSUMER_DEFAULTS.startingPosition],
          batchSize: trigger.batchSize,
          bisectBatchOnError: STREAM_CONSUMER_DEFAULTS.bisectBatchOnError,
          retryAttempts: STREAM_CONSUMER_DEFAULTS.maximumRetryAttempts,
          ...(STREAM_CONSUMER_DEFAULTS.maximumRecordAgeSeconds >= 0 && { maxRecordAge: Duration.seconds(STREAM_CONSUMER_DEFAULTS.maximumRecordAgeSeconds) }),
          reportBatchItemFailures: STREAM_CONSUMER_DEFAULTS.reportBatchItemFailures,
          onFailure: new SqsDlq(this.streamDlq()),
        }),
      );
    }

    return svc;
  }

  /** A route's own throttling, in the stage's route settings; the stage is deployed after the route exists. */
  private throttleRoute(routeKey: string, route: HttpRoute, limit: { rateLimit: number; burstLimit: number }): void {
    const cfnStage = this.httpStage.node.defaultChild as CfnStage;
    const settings = { ...((cfnStage.routeSettings ?? {}) as Record<string, unknown>) };
    // RouteSettings is JSON in CloudFormation: written with its own (Pascal case) names, not CDK's.
    settings[routeKey] = { ThrottlingRateLimit: limit.rateLimit, ThrottlingBurstLimit: limit.burstLimit };
    cfnStage.routeSettings = settings;
    cfnStage.node.addDependency(route);
  }

  /**
   * Table grants cover the table's indexes as `<table ARN>/index/*`: that wildcard reaches only the
   * indexes of this one table, which the function queries by design (sparse indexes, never a Scan).
   */
  private acknowledgeIndexWildcard(svc: ServiceFunction, key: TableKey): void {
    const spec = this.tableSpecs.find((t) => t.key === key);
    if (!spec?.globalIndexes?.length) return;
    const logicalId = this.getLogicalId(this.table(key, svc.node.id).node.defaultChild as CfnElement);
    Validations.of(svc.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/index/*]`,
      reason: `The ${key} table's grant includes its own indexes (${spec.globalIndexes.map((g) => g.name).join(', ')}), addressed as <table ARN>/index/*; no other table is reachable.`,
    });
  }

  /** A setting's value from the `provisioning:*` context (its default, if any, is function-config's). */
  private settingValue(key: ConfigKey): string | undefined {
    const item = config[key];
    if (item.kind !== 'setting') return undefined;
    const value = this.node.tryGetContext(item.context) as unknown;
    // A value from cdk.json may be JSON (the plan catalog as an object): the function reads it as text.
    if (value !== undefined && value !== null && String(value) !== '') return typeof value === 'object' ? JSON.stringify(value) : String(value);
    return undefined;
  }

  /** What a function's environment and grants refer to, as this stack's tokens (infra/function-config.ts). */
  private functionRefs(): FunctionRefs {
    if (this.refs) return this.refs;
    const stack = this;
    this.refs = {
      busName: this.bus.eventBusName,
      busArn: this.bus.eventBusArn,
      apiId: this.httpApi.apiId,
      get apiUrl() {
        return stack.httpStage.url;
      },
      table: (key) => {
        const table = this.tables[key];
        const indexes = this.tableSpecs.find((t) => t.key === key)?.globalIndexes?.length ?? 0;
        return table && { name: table.tableName, arn: table.tableArn, hasIndexes: indexes > 0 };
      },
      secretArn: (key) => this.secret(key).secretArn,
      setting: (key) => this.settingValue(key),
      operatorJwt: {
        issuer: this.settings.jwtIssuer,
        audience: this.settings.jwtAudience,
        scopes: this.settings.operatorScopes,
        nameClaim: this.settings.operatorNameClaim,
        maxAgeSeconds: this.settings.jwtMaxAgeSeconds,
      },
    };
    return this.refs;
  }

  /**
   * The Secrets Manager secret of a config key, created once (with a generated placeholder value:
   * operators put the real value, see the stack outputs). Retained with the stack's data.
   */
  private secret(key: ConfigKey): Secret {
    const existing = this.secrets[key];
    if (existing) return existing;
    const item = config[key];
    const secret = new Secret(this, `${pascal(key)}Secret`, {
      description: `${item.description} Put the real value here (${item.env}).`,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: `Holds a credential issued by a third party (${item.env}): it is rotated in Slack or GitLab and pasted here; no rotation Lambda can issue it.`,
    });
    new CfnOutput(this, `${pascal(key)}SecretArn`, { value: secret.secretArn, description: `Secret to fill in: ${item.description}` });
    this.secrets[key] = secret;
    return secret;
  }

  /** Failed async invocations of functions whose failures must not go back to the bus (the error-log writer). */
  private asyncFailureDlq(): Queue {
    return (this.asyncFailureQueue ??= this.deadLetterQueue(
      'AsyncFailureQueue',
      "Failed asynchronous invocations of the error-log writer: the failure records and events it could not store, for replay.",
    ));
  }

  /** Events a rule could not deliver to its function, with EventBridge's error attributes. */
  private ruleTargetDlq(): Queue {
    return (this.eventTargetDlq ??= this.deadLetterQueue(
      'EventTargetDlq',
      'Events that a rule could not deliver to its Lambda target.',
    ));
  }

  /** Stream batches a function gave up on: shard and sequence numbers to replay from the stream. */
  private streamDlq(): Queue {
    return (this.streamFailureQueue ??= this.deadLetterQueue(
      'StreamFailureQueue',
      'Stream batches that failed after all retries (shard and sequence numbers).',
    ));
  }

  private deadLetterQueue(id: string, purpose: string): Queue {
    const queue = new Queue(this, id, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself a dead-letter queue (${purpose}); a DLQ of a DLQ only moves the problem.`,
    });
    return queue;
  }
}

/** A statement of infra/function-config.ts as the CDK's. */
function toPolicyStatement(statement: StatementData): PolicyStatement {
  return new PolicyStatement({
    effect: statement.effect === 'Deny' ? Effect.DENY : Effect.ALLOW,
    actions: [...statement.actions],
    resources: [...statement.resources],
    ...(statement.conditions && { conditions: statement.conditions as Record<string, unknown> }),
  });
}

/**
 * A Lambda onFailure destination on the bus, like `EventBridgeDestination`, whose grant is only
 * what Lambda puts there: the failure record (source `lambda`, its failure detail-type), which is
 * exactly what the error log's rule routes. `EventBridgeDestination` grants every PutEvents.
 */
class FailureRecordDestination implements IDestination {
  constructor(
    private readonly bus: EventBus,
    private readonly refs: FunctionRefs,
  ) {}

  bind(_scope: Construct, fn: IFunction, _options?: DestinationOptions): DestinationConfig {
    fn.addToRolePolicy(toPolicyStatement(failureRecordStatement(this.refs)));
    return { destination: this.bus.eventBusArn };
  }
}

function attribute(key: KeySpec): Attribute {
  return { name: key.name, type: key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER };
}

function pascal(kebab: string): string {
  return kebab.replace(/(^|[-_])(\w)/g, (_, __, c: string) => c.toUpperCase());
}

const PATTERN_FIELDS: Readonly<Record<string, keyof EventPattern>> = {
  version: 'version',
  id: 'id',
  'detail-type': 'detailType',
  source: 'source',
  account: 'account',
  time: 'time',
  region: 'region',
  resources: 'resources',
  detail: 'detail',
};

/**
 * The manifest writes patterns as EventBridge takes them (`detail-type`); the CDK wants its own
 * field names and renders them back. A field EventBridge does not know is a manifest error.
 */
export function toEventPattern(pattern: Readonly<Record<string, unknown>>): EventPattern {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(pattern)) {
    // `$or` alternatives are written as EventBridge takes them; the CDK renders them unchanged.
    if (field === '$or') {
      out[field] = value;
      continue;
    }
    const cdkField = PATTERN_FIELDS[field];
    if (!cdkField) throw new Error(`Unknown EventBridge pattern field "${field}"`);
    out[cdkField] = value;
  }
  return out as EventPattern;
}

export interface CreateAppOptions {
  /** Merged over the `provisioning:*` defaults; cdk.json supplies it when run by the CLI. */
  readonly context?: Record<string, unknown>;
  readonly outdir?: string;
  /** Skip esbuild: assertions do not need the bundles (`aws:cdk:bundling-stacks` = []). */
  readonly skipBundling?: boolean;
}

/**
 * The app as `cdk synth` builds it — the stack plus the cdk-nag AwsSolutions checks, which run on every
 * synthesis. Tests call it with `skipBundling` and their own `outdir`.
 *
 * @example
 * const { app, stack } = createProvisioningApp({ skipBundling: true, outdir: tmp });
 * const assembly = app.synth();
 */
export function createProvisioningApp(options: CreateAppOptions = {}): { app: App; stack: ProvisioningStack } {
  const app = new App({
    ...(options.outdir && { outdir: options.outdir }),
    context: {
      ...(options.context ?? {}),
      ...(options.skipBundling && { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const stack = new ProvisioningStack(app, STACK_NAME, { settings: settingsFromContext(app) });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
