import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, type CfnElement, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { bundleOf, dynamodbActionsOf } from '../../infra/dynamodb-calls.js';
import {
  createProvisioningApp,
  REPO_ROOT,
  DEFAULT_CONTEXT,
  ProvisioningStack,
  settingsFromContext,
  STACK_NAME,
} from '../../infra/provisioning-stack.js';
import {
  BUS_NAME,
  type EventTrigger,
  type FunctionSpec,
  functions,
  httpRoutes,
  type StreamTrigger,
  STREAM_CONSUMER_DEFAULTS,
} from '../../shared/service/manifest.js';
import { type TableSpec, tableEnvVar, tables, tableSpecs } from '../../shared/platform/tables.js';
import { config } from '../../shared/platform/config.js';

/*
 * One synthesis for the whole file: the real stack from the manifest, plus a fixture stack in the
 * same app that exercises what the manifest does not use yet (operator routes, schedules, GSIs).
 * Bundling is skipped (`aws:cdk:bundling-stacks` = []): `npm run synth` exercises esbuild.
 */

const FIXTURE_STACK = 'ProvisioningFixture';
const fixtureTables: readonly TableSpec[] = [
  {
    ...tables.state,
    globalIndexes: [
      { name: 'byDueDate', partitionKey: { name: 'dueDate', type: 'S' }, sortKey: { name: 'pk', type: 'S' }, projection: 'KEYS_ONLY' },
    ],
  },
  tables.idempotency,
];
const fixtureFunctions: readonly FunctionSpec[] = [
  {
    name: 'fixture-operator',
    description: 'An operator route and a schedule on a table with an index.',
    // Any existing handler will do: bundling is skipped, only the entry's existence is checked.
    entry: functions[0]!.entry,
    triggers: [
      { kind: 'http', method: 'PATCH', path: '/v1/errors/{id}', auth: 'operator', role: 'support', doc: { summary: 'A fixture route' } },
      { kind: 'schedule', cron: 'cron(0 6 * * ? *)' },
    ],
    tables: { state: 'read', idempotency: 'readWrite' },
  },
];

const WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:TransactWriteItems',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
];
const STREAM_ACTIONS = ['dynamodb:ListStreams', 'dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'];

interface Statement {
  Action: string | string[];
  Effect: string;
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
interface NagReport {
  pluginReports: Array<{
    pluginName: string;
    violations: Array<{ ruleName: string; description: string; violatingConstructs: Array<{ constructPath: string }> }>;
  }>;
}

let outdir: string;
let app: App;
let stack: ProvisioningStack;
let fixture: ProvisioningStack;
let template: Template;
let fixtureTemplate: Template;
let synthError: unknown;
let report: NagReport;

beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'provisioning-cdk-'));
  ({ app, stack } = createProvisioningApp({ skipBundling: true, outdir }));
  fixture = new ProvisioningStack(app, FIXTURE_STACK, {
    settings: settingsFromContext(app),
    functions: fixtureFunctions,
    tables: fixtureTables,
  });
  try {
    app.synth();
  } catch (error) {
    // cdk-nag findings fail the synthesis after the templates and the report are written.
    synthError = error;
  }
  const read = (file: string): unknown => JSON.parse(fs.readFileSync(path.join(outdir, file), 'utf8'));
  template = Template.fromJSON(read(stack.templateFile) as Record<string, unknown>);
  fixtureTemplate = Template.fromJSON(read(fixture.templateFile) as Record<string, unknown>);
  report = read('validation-report.json') as NagReport;
});

afterAll(() => {
  fs.rmSync(outdir, { recursive: true, force: true });
});

const idOf = (s: ProvisioningStack, construct: IConstruct): string =>
  s.getLogicalId(construct.node.defaultChild as CfnElement);
const fnId = (s: ProvisioningStack, name: string): string => idOf(s, s.functions[name]!.fn);
const tableId = (s: ProvisioningStack, key: keyof typeof tables): string => idOf(s, s.tables[key]!);
const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const isAsync = (spec: FunctionSpec): boolean => spec.triggers.some((t) => t.kind === 'event' || t.kind === 'schedule');

/** Every statement of the policies attached to a function's role. */
function statementsOf(t: Template, s: ProvisioningStack, name: string): Statement[] {
  const roleId = idOf(s, s.functions[name]!.role);
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

function allStatements(t: Template): Statement[] {
  return Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
    (p) => p.Properties.PolicyDocument.Statement as Statement[],
  );
}

describe('Class: ProvisioningStack', () => {
  describe('Functions', () => {
    it('builds every manifest function as an arm64 nodejs22.x Lambda with its environment', () => {
      // Plus the Lambda authorizer of webhook routes.
      const webhookAuthorizers = httpRoutes().some((r) => r.auth === 'webhook') ? 1 : 0;
      expect(Object.keys(template.findResources('AWS::Lambda::Function'))).toHaveLength(functions.length + webhookAuthorizers);
      for (const spec of functions) {
        const tableVars = Object.fromEntries(
          (Object.keys(spec.tables) as Array<keyof typeof tables>).map((key) => [tableEnvVar(key), { Ref: tableId(stack, key) }]),
        );
        // Secrets as their ARN; settings when set (the admin URL defaults to the API's).
        const configVars = Object.fromEntries(
          (spec.config ?? []).flatMap((key): Array<[string, unknown]> => {
            const item = config[key];
            if (item.kind === 'secret') return [[item.secretIdEnv, Match.anyValue()]];
            return key === 'adminBaseUrl' ? [[item.env, Match.anyValue()]] : [];
          }),
        );
        template.hasResourceProperties('AWS::Lambda::Function', {
          FunctionName: `${STACK_NAME}-${spec.name}`,
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          Environment: {
            Variables: Match.objectEquals({
              ...tableVars,
              ...configVars,
              EVENT_BUS_NAME: { Ref: idOf(stack, stack.bus) },
              ...(spec.triggers.some((t) => t.kind === 'http') && { HTTP_API_ID: { Ref: idOf(stack, stack.httpApi) } }),
              ...(spec.triggers.some((t) => t.kind === 'http' && t.auth === 'operator') && {
                OPERATOR_ROUTES: Match.anyValue(),
                OPERATOR_SCOPES: JSON.stringify(DEFAULT_CONTEXT['provisioning:operatorScopes']),
                OPERATOR_JWT_ISSUER: DEFAULT_CONTEXT['provisioning:jwtIssuer'],
                OPERATOR_JWT_AUDIENCE: DEFAULT_CONTEXT['provisioning:jwtAudience'],
                OPERATOR_JWT_MAX_AGE_SECONDS: String(DEFAULT_CONTEXT['provisioning:jwtMaxAgeSeconds']),
                OPERATOR_NAME_CLAIM: DEFAULT_CONTEXT['provisioning:operatorNameClaim'],
              }),
              POWERTOOLS_SERVICE_NAME: 'provisioning',
              POWERTOOLS_LOG_LEVEL: 'INFO',
            }),
          },
        });
      }
    });

    it('gives each function its own log group with the configured retention', () => {
      for (const spec of functions) {
        const svc = stack.functions[spec.name]!;
        template.hasResourceProperties('AWS::Lambda::Function', {
          FunctionName: `${STACK_NAME}-${spec.name}`,
          LoggingConfig: { LogGroup: { Ref: idOf(stack, svc.logGroup) } },
        });
        template.hasResourceProperties('AWS::Logs::LogGroup', {
          LogGroupName: `/aws/lambda/${STACK_NAME}-${spec.name}`,
          RetentionInDays: DEFAULT_CONTEXT['provisioning:logRetentionDays'],
        });
      }
    });

    it('sends failures of asynchronously invoked functions to the bus, and only theirs', () => {
      const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig'));
      for (const spec of functions) {
        const mine = configs.filter((c) => JSON.stringify(c.Properties.FunctionName) === JSON.stringify({ Ref: fnId(stack, spec.name) }));
        if (!isAsync(spec)) {
          expect(mine, spec.name).toHaveLength(0);
          continue;
        }
        expect(mine, spec.name).toHaveLength(1);
        // The error-log writer's failures go to a queue: on the bus they would come back to it.
        const destination = mine[0]!.Properties.DestinationConfig.OnFailure.Destination;
        if (spec.asyncFailures === 'queue') {
          expect(Object.keys(template.findResources('AWS::SQS::Queue'))).toContain(destination['Fn::GetAtt'][0]);
        } else {
          expect(destination).toEqual({ 'Fn::GetAtt': [idOf(stack, stack.bus), 'Arn'] });
        }
      }
    });
  });

  describe('HTTP API', () => {
    it('has one route per http trigger, keyed "METHOD path", with IAM auth for service routes', () => {
      const routes = httpRoutes();
      expect(Object.keys(template.findResources('AWS::ApiGatewayV2::Route'))).toHaveLength(routes.length);
      for (const route of routes) {
        template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
          RouteKey: `${route.method} ${route.path}`,
          AuthorizationType: { service: 'AWS_IAM', operator: 'JWT', webhook: 'CUSTOM', public: 'NONE' }[route.auth],
        });
      }
    });

    /**
     * The only routes without an authorizer: the admin page's static files. A browser loads them
     * before it can send a bearer header, and they carry no data (their function reads no table);
     * every call the page makes goes to an operator route, which has the JWT authorizer.
     */
    const PUBLIC_ROUTES = ['GET /admin', 'GET /admin/app.js', 'GET /admin/app.css'];

    it('puts an authorizer on every route but the admin page\'s static files', () => {
      for (const t of [template, fixtureTemplate]) {
        for (const route of Object.values(t.findResources('AWS::ApiGatewayV2::Route'))) {
          const { AuthorizationType, AuthorizerId, RouteKey } = route.Properties;
          if (PUBLIC_ROUTES.includes(RouteKey)) {
            expect(t).toBe(template);
            expect(AuthorizationType, RouteKey).toBe('NONE');
            expect(AuthorizerId, RouteKey).toBeUndefined();
            continue;
          }
          expect(['AWS_IAM', 'JWT', 'CUSTOM'], RouteKey).toContain(AuthorizationType);
          if (AuthorizationType !== 'AWS_IAM') expect(AuthorizerId, RouteKey).toBeDefined();
        }
      }
      const publicRoutes = httpRoutes().filter((r) => r.auth === 'public');
      expect(publicRoutes.map((r) => `${r.method} ${r.path}`).sort()).toEqual([...PUBLIC_ROUTES].sort());
      for (const route of publicRoutes) {
        expect(route.method, 'a public route only reads').toBe('GET');
        expect(route.fn.tables, `${route.fn.name} serves static files: no table`).toEqual({});
        expect(route.fn.publishesEvents ?? false).toBe(false);
        expect(route.fn.publishes ?? []).toEqual([]);
      }
    });

    it('authorizes operator routes with a JWT authorizer using the issuer and audience from context', () => {
      fixtureTemplate.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: {
          Issuer: DEFAULT_CONTEXT['provisioning:jwtIssuer'],
          Audience: [DEFAULT_CONTEXT['provisioning:jwtAudience']],
        },
      });
      fixtureTemplate.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: 'PATCH /v1/errors/{id}',
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: Match.anyValue() },
      });
    });

    it("requires each operator route's role scope or a higher role's on the JWT authorizer: a valid JWT without one is refused", () => {
      const scopes = DEFAULT_CONTEXT['provisioning:operatorScopes'];
      const byKey = new Map(Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => [r.Properties.RouteKey as string, r.Properties]));
      const operatorRoutes = httpRoutes().filter((r) => r.auth === 'operator');
      expect(operatorRoutes.length).toBeGreaterThan(20);
      for (const route of operatorRoutes) {
        const props = byKey.get(`${route.method} ${route.path}`)!;
        const expected = { viewer: [scopes.viewer, scopes.support, scopes.admin], support: [scopes.support, scopes.admin], admin: [scopes.admin] }[route.role!];
        expect(props.AuthorizationType, route.path).toBe('JWT');
        expect(props.AuthorizationScopes, `${route.method} ${route.path}`).toEqual(expected);
        // API Gateway answers 403 when the token has none of the route's scopes: a token of the
        // issuer and audience with only OpenID's scopes (or a lower role's) gets nowhere.
        const lower = { viewer: [], support: [scopes.viewer], admin: [scopes.viewer, scopes.support] }[route.role!];
        for (const held of [['openid', 'profile', 'email'], lower]) expect(held.filter((s) => (props.AuthorizationScopes as string[]).includes(s))).toEqual([]);
      }
      for (const [key, props] of byKey) {
        if (props.AuthorizationType !== 'JWT') expect(props.AuthorizationScopes, key).toBeUndefined();
      }
    });

    it("gives each operator function its routes' roles and the JWT check the handler repeats", () => {
      const operatorFns = functions.filter((f) => f.triggers.some((t) => t.kind === 'http' && t.auth === 'operator'));
      for (const spec of operatorFns) {
        const fn = template.findResources('AWS::Lambda::Function')[fnId(stack, spec.name)];
        expect(fn, spec.name).toBeDefined();
        const env = fn!.Properties.Environment.Variables as Record<string, unknown>;
        const roles = JSON.parse(env.OPERATOR_ROUTES as string) as Record<string, string>;
        const own = spec.triggers.filter((t) => t.kind === 'http' && t.auth === 'operator');
        expect(Object.keys(roles).sort(), spec.name).toEqual(own.map((t) => (t.kind === 'http' ? `${t.method} ${t.path}` : '')).sort());
        expect(env).toMatchObject({
          OPERATOR_JWT_ISSUER: DEFAULT_CONTEXT['provisioning:jwtIssuer'],
          OPERATOR_JWT_AUDIENCE: DEFAULT_CONTEXT['provisioning:jwtAudience'],
          OPERATOR_JWT_MAX_AGE_SECONDS: String(DEFAULT_CONTEXT['provisioning:jwtMaxAgeSeconds']),
        });
      }
    });

    it('logs access as JSON on a throttled default stage', () => {
      const stages = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
      expect(stages).toHaveLength(1);
      const props = stages[0]!.Properties;
      expect(props.StageName).toBe('$default');
      expect(props.AutoDeploy).toBe(true);
      expect(props.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: expect.any(Number), ThrottlingBurstLimit: expect.any(Number) });
      expect(props.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
      expect(JSON.parse(props.AccessLogSettings.Format)).toMatchObject({
        requestId: '$context.requestId',
        routeKey: '$context.routeKey',
        status: '$context.status',
        ip: '$context.identity.sourceIp',
        latency: '$context.responseLatency',
      });
    });

    it('gives the anonymous routes (public, webhook) their own low limits, deployed after their routes', () => {
      const stages = template.findResources('AWS::ApiGatewayV2::Stage');
      const stageResource = Object.values(stages)[0]!;
      const anonymous = httpRoutes().filter((r) => r.auth === 'public' || r.auth === 'webhook');
      expect(anonymous.length).toBeGreaterThan(0);
      const settings = stageResource.Properties.RouteSettings as Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>;
      expect(Object.keys(settings).sort()).toEqual(anonymous.map((r) => `${r.method} ${r.path}`).sort());
      const stageLimit = stageResource.Properties.DefaultRouteSettings.ThrottlingRateLimit as number;
      for (const route of anonymous) {
        const limit = settings[`${route.method} ${route.path}`]!;
        expect(limit.ThrottlingRateLimit, route.path).toBeLessThanOrEqual(stageLimit / 10);
        expect(limit.ThrottlingBurstLimit, route.path).toBeLessThanOrEqual(limit.ThrottlingRateLimit * 2);
      }
      const routeIds = Object.entries(template.findResources('AWS::ApiGatewayV2::Route'))
        .filter(([, r]) => Object.keys(settings).includes(r.Properties.RouteKey as string))
        .map(([id]) => id);
      expect(routeIds).toHaveLength(anonymous.length);
      expect(stageResource.DependsOn).toEqual(expect.arrayContaining(routeIds));
    });

    it('tells every HTTP function the id of its API, so that it can refuse events that did not come through it', () => {
      for (const spec of functions.filter((f) => f.triggers.some((t) => t.kind === 'http'))) {
        template.hasResourceProperties('AWS::Lambda::Function', {
          FunctionName: `${STACK_NAME}-${spec.name}`,
          Environment: { Variables: Match.objectLike({ HTTP_API_ID: { Ref: idOf(stack, stack.httpApi) } }) },
        });
      }
    });
  });

  describe('Events', () => {
    it('defines the bus from the manifest, with an archive', () => {
      template.hasResourceProperties('AWS::Events::EventBus', { Name: BUS_NAME });
      template.hasResourceProperties('AWS::Events::Archive', { SourceArn: { 'Fn::GetAtt': [idOf(stack, stack.bus), 'Arn'] } });
    });

    it('has a rule on the bus for every event trigger, retrying into a dead-letter queue', () => {
      const triggers = functions.flatMap((spec) =>
        spec.triggers.filter((t): t is EventTrigger => t.kind === 'event').map((t) => ({ spec, t })),
      );
      const schedules = functions.flatMap((spec) => spec.triggers.filter((t) => t.kind === 'schedule'));
      expect(Object.keys(template.findResources('AWS::Events::Rule'))).toHaveLength(triggers.length + schedules.length);
      for (const { spec, t } of triggers) {
        template.hasResourceProperties('AWS::Events::Rule', {
          EventBusName: { Ref: idOf(stack, stack.bus) },
          EventPattern: t.pattern,
          State: 'ENABLED',
          Targets: [
            Match.objectLike({
              Arn: { 'Fn::GetAtt': [fnId(stack, spec.name), 'Arn'] },
              RetryPolicy: { MaximumRetryAttempts: Match.anyValue(), MaximumEventAgeInSeconds: Match.anyValue() },
              DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } },
            }),
          ],
        });
      }
    });

    it('runs schedule triggers as rules on the default bus', () => {
      fixtureTemplate.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'cron(0 6 * * ? *)',
        EventBusName: Match.absent(),
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId(fixture, 'fixture-operator'), 'Arn'] } })],
      });
      fixtureTemplate.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fnId(fixture, 'fixture-operator') },
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [idOf(fixture, fixture.bus), 'Arn'] } } },
      });
    });

    it('encrypts the dead-letter queues and requires TLS', () => {
      const queues = template.findResources('AWS::SQS::Queue');
      expect(Object.keys(queues).length).toBeGreaterThan(0);
      for (const [id, queue] of Object.entries(queues)) {
        expect(queue.Properties.SqsManagedSseEnabled ?? queue.Properties.KmsMasterKeyId, id).toBeTruthy();
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: id }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
    });
  });

  describe('Streams', () => {
    it('maps every stream trigger to its table stream, reporting batch item failures', () => {
      const triggers = functions.flatMap((spec) =>
        spec.triggers.filter((t): t is StreamTrigger => t.kind === 'stream').map((t) => ({ spec, t })),
      );
      expect(Object.keys(template.findResources('AWS::Lambda::EventSourceMapping'))).toHaveLength(triggers.length);
      for (const { spec, t } of triggers) {
        template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
          FunctionName: { Ref: fnId(stack, spec.name) },
          EventSourceArn: { 'Fn::GetAtt': [tableId(stack, t.table), 'StreamArn'] },
          StartingPosition: 'TRIM_HORIZON',
          BatchSize: t.batchSize,
          BisectBatchOnFunctionError: STREAM_CONSUMER_DEFAULTS.bisectBatchOnError,
          MaximumRetryAttempts: STREAM_CONSUMER_DEFAULTS.maximumRetryAttempts,
          // No maximum record age: DynamoEventSource's default, -1 (the stream's 24 hours bound it).
          MaximumRecordAgeInSeconds: Match.absent(),
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } } },
        });
      }
    });
  });

  describe('Tables', () => {
    const expectTable = (t: Template, s: ProvisioningStack, spec: TableSpec): void => {
      const resource = t.findResources('AWS::DynamoDB::GlobalTable')[tableId(s, spec.key)];
      expect(resource, spec.key).toBeDefined();
      expect(resource!.DeletionPolicy).toBe('Retain');
      expect(resource!.UpdateReplacePolicy).toBe('Retain');
      const props = resource!.Properties;
      expect(props.BillingMode).toBe('PAY_PER_REQUEST');
      expect(props.SSESpecification).toMatchObject({ SSEEnabled: true });
      expect(props.KeySchema).toEqual([
        { AttributeName: spec.partitionKey.name, KeyType: 'HASH' },
        ...(spec.sortKey ? [{ AttributeName: spec.sortKey.name, KeyType: 'RANGE' }] : []),
      ]);
      expect(props.Replicas).toHaveLength(1);
      expect(props.Replicas[0]).toMatchObject({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      });
      expect(props.StreamSpecification).toEqual(spec.stream ? { StreamViewType: spec.stream } : undefined);
      expect(props.TimeToLiveSpecification).toEqual(
        spec.ttlAttribute ? { AttributeName: spec.ttlAttribute, Enabled: true } : undefined,
      );
      expect((props.GlobalSecondaryIndexes ?? []).map((g: { IndexName: string }) => g.IndexName)).toEqual(
        (spec.globalIndexes ?? []).map((g) => g.name),
      );
    };

    it('builds every table spec with PITR, deletion protection, SSE, stream and TTL as specified', () => {
      expect(Object.keys(template.findResources('AWS::DynamoDB::GlobalTable'))).toHaveLength(tableSpecs.length);
      for (const spec of tableSpecs) expectTable(template, stack, spec);
    });

    it('builds global secondary indexes from the spec', () => {
      for (const spec of fixtureTables) expectTable(fixtureTemplate, fixture, spec);
      fixtureTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byDueDate',
            KeySchema: [
              { AttributeName: 'dueDate', KeyType: 'HASH' },
              { AttributeName: 'pk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
      });
    });
  });

  describe('IAM', () => {
    const cases: Array<[string, () => [Template, ProvisioningStack, readonly FunctionSpec[]]]> = [
      ['the manifest', () => [template, stack, functions]],
      ['the fixture', () => [fixtureTemplate, fixture, fixtureFunctions]],
    ];

    it.each(cases)('grants each function data access to exactly its tables in %s', (_, get) => {
      const [t, s, specs] = get();
      for (const spec of specs) {
        const dataStatements = statementsOf(t, s, spec.name).filter((st) =>
          asArray(st.Action).some((a) => a.startsWith('dynamodb:') && !STREAM_ACTIONS.includes(a)),
        );
        const granted = (Object.keys(s.tables) as Array<keyof typeof tables>).filter((key) =>
          dataStatements.some((st) => JSON.stringify(st.Resource).includes(`"${tableId(s, key)}"`)),
        );
        expect(granted.sort(), spec.name).toEqual(Object.keys(spec.tables).sort());
      }
    });

    it.each(cases)('grants on each table exactly the DynamoDB actions the code calls (reading ones only on a read table) in %s', (_, get) => {
      const [t, s, specs] = get();
      for (const spec of specs) {
        const calls = dynamodbActionsOf(REPO_ROOT, spec.entry);
        for (const [key, access] of Object.entries(spec.tables) as Array<[keyof typeof tables, string]>) {
          const onTable = statementsOf(t, s, spec.name).filter((st) => JSON.stringify(st.Resource).includes(`"${tableId(s, key)}"`));
          const granted = [...new Set(onTable.flatMap((st) => asArray(st.Action)).filter((a) => !STREAM_ACTIONS.includes(a)))].sort();
          const expected = access === 'read' ? calls.filter((a) => !WRITE_ACTIONS.includes(a)) : [...calls];
          expect(granted, `${spec.name} → ${key}`).toEqual([...expected].sort());
          if (access === 'read') expect(granted.filter((a) => WRITE_ACTIONS.includes(a)), `${spec.name} → ${key}`).toEqual([]);
        }
        // Both ways: every call the code makes is granted on some table of the function.
        const grantedAnywhere = new Set(statementsOf(t, s, spec.name).flatMap((st) => asArray(st.Action)));
        for (const call of calls) expect(grantedAnywhere.has(call), `${spec.name} calls ${call}`).toBe(true);
      }
    });

    it('grants Scan, DeleteItem and BatchWriteItem only where the code calls them, and stream reads only to the stream consumer', () => {
      const holders = (action: string): string[] =>
        functions.filter((spec) => statementsOf(template, stack, spec.name).some((st) => asArray(st.Action).includes(action))).map((spec) => spec.name).sort();
      const callers = (action: string): string[] => functions.filter((spec) => dynamodbActionsOf(REPO_ROOT, spec.entry).includes(action)).map((spec) => spec.name).sort();
      // Known answers, read from the code by hand: the outbox prunes with BatchWriteItem; a
      // reassociation and a billing-account change delete an item inside their transactions.
      expect(holders('dynamodb:Scan')).toEqual([]);
      expect(holders('dynamodb:BatchWriteItem')).toEqual(['outbox-publisher']);
      expect(holders('dynamodb:DeleteItem')).toEqual(['billing-account-set', 'reassociate']);
      for (const action of ['dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem']) expect(holders(action), action).toEqual(callers(action));
      const streamConsumers = functions.filter((spec) => spec.triggers.some((tr) => tr.kind === 'stream')).map((spec) => spec.name).sort();
      expect(holders('dynamodb:GetRecords')).toEqual(streamConsumers);
      for (const spec of functions) {
        for (const st of statementsOf(template, stack, spec.name)) expect(asArray(st.Action).some((a) => a.startsWith('dynamodb:') && a.endsWith('*')), spec.name).toBe(false);
      }
    });

    it('lets a function put only the events it publishes: each PutEvents conditioned on its sources and detail-types', () => {
      for (const spec of functions) {
        const statements = statementsOf(template, stack, spec.name).filter((st) => asArray(st.Action).includes('events:PutEvents'));
        const expected = new Map<string, string[]>();
        const add = (source: string, types: readonly string[]) => expected.set(source, [...new Set([...(expected.get(source) ?? []), ...types])].sort());
        for (const p of spec.publishes ?? []) add(p.source, p.detailTypes);
        if (spec.triggers.some((tr) => tr.kind === 'http') || spec.publishesEvents) add('provisioning-service', ['Provisioning Failed']);
        if (isAsync(spec) && spec.asyncFailures !== 'queue') add('lambda', ['Lambda Function Invocation Result - Failure']);
        const granted = new Map<string, string[]>();
        for (const st of statements) {
          expect(asArray(st.Action), spec.name).toEqual(['events:PutEvents']);
          expect(st.Resource, spec.name).toEqual({ 'Fn::GetAtt': [idOf(stack, stack.bus), 'Arn'] });
          expect(Object.keys(st.Condition ?? {}), spec.name).toEqual(['StringEquals']);
          const equals = st.Condition!.StringEquals!;
          expect(typeof equals['events:source'], spec.name).toBe('string');
          const source = equals['events:source'] as string;
          granted.set(source, [...new Set([...(granted.get(source) ?? []), ...asArray(equals['events:detail-type'] as string | string[])])].sort());
        }
        expect(Object.fromEntries(granted), spec.name).toEqual(Object.fromEntries(expected));
      }
      // The publishers beyond failure reports, by hand: the outbox, the audit, the relay of other
      // systems' reports (POST /v1/errors) and the webhook continuing a large issue's resolution.
      expect(functions.filter((spec) => spec.publishes?.length).map((spec) => spec.name).sort()).toEqual(['error-reports', 'gitlab-webhook', 'outbox-publisher', 'reconciliation-audit']);
      // What a spec says it publishes is in its code: the detail-type and the publishing client.
      for (const spec of functions.filter((f) => f.publishes?.length)) {
        const code = bundleOf(REPO_ROOT, spec.entry);
        expect(code, spec.name).toMatch(/new PutEventsCommand\(/);
        for (const type of spec.publishes!.flatMap((p) => p.detailTypes)) expect(code.includes(JSON.stringify(type)), `${spec.name} publishes ${type}`).toBe(true);
      }
    });

    it('has no PutEvents statement without a condition on source and detail-type, in any role', () => {
      for (const t of [template, fixtureTemplate]) {
        const putEvents = allStatements(t).filter((x) => asArray(x.Action).includes('events:PutEvents'));
        expect(putEvents.length).toBeGreaterThan(0);
        for (const st of putEvents) {
          expect(st.Condition?.StringEquals, JSON.stringify(st)).toEqual(
            expect.objectContaining({ 'events:source': expect.any(String), 'events:detail-type': expect.anything() }),
          );
        }
      }
    });

    it('has no statement with Resource "*" for dynamodb or events actions', () => {
      for (const t of [template, fixtureTemplate]) {
        for (const st of allStatements(t)) {
          const scoped = asArray(st.Action).some((a) => a.startsWith('dynamodb:') || a.startsWith('events:'));
          if (scoped) expect(asArray(st.Resource)).not.toContain('*');
        }
      }
    });

    it('has no statement with Resource "*" at all', () => {
      for (const t of [template, fixtureTemplate]) {
        for (const st of allStatements(t)) expect(asArray(st.Resource), JSON.stringify(st)).not.toContain('*');
      }
    });
  });

  describe('Outputs', () => {
    it('exports the API URL, the bus name and the table names', () => {
      const outputs = template.findOutputs('*');
      expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['ApiUrl', 'EventBusName', 'StateTableName', 'IdempotencyTableName']));
      expect(outputs.EventBusName!.Value).toEqual({ Ref: idOf(stack, stack.bus) });
    });
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('is registered on the app as a validation plugin', () => {
    expect(app._validationPlugins.some((p) => p instanceof AwsSolutionsChecks)).toBe(true);
  });

  it('reports no unacknowledged finding', () => {
    const findings = report.pluginReports.flatMap((r) =>
      r.violations.map((v) => `${r.pluginName} ${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}: ${v.description}`),
    );
    expect(findings).toEqual([]);
    expect(synthError).toBeUndefined();
  });

  it('states a reason for every acknowledgement', () => {
    const acknowledgements: Array<{ path: string; id: string; reason: unknown }> = [];
    for (const construct of app.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
          acknowledgements.push({ path: construct.node.path, id, reason });
        }
      }
    }
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const ack of acknowledgements) {
      expect(ack.id, ack.path).toMatch(/AwsSolutions-/);
      expect(typeof ack.reason === 'string' ? ack.reason.trim().length : 0, `${ack.id} at ${ack.path}`).toBeGreaterThan(20);
      // Narrow scope: on a resource's construct, never on the app or a whole stack.
      expect(ack.path.split('/').length, `${ack.id} at ${ack.path}`).toBeGreaterThan(1);
    }
  });
});
