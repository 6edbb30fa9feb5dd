import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  ASYNC_INVOKE,
  definitionsFromSource,
  LOCAL_ENVIRONMENT_DIFFERENCES,
  type LocalResources,
  localArns,
  localSecretValues,
  REPO_ROOT,
  STREAM_CONSUMER,
} from '../../../local/definitions.js';
import { evaluate } from '../../../local/iam.js';
import { functions, type FunctionSpec } from '../../../shared/service/manifest.js';
import { webhookAuthorizerFunction } from '../../../shared/error-log/manifest.js';
import { OPERATOR_JWT_ENV, OPERATOR_ROUTES_ENV } from '../../../shared/platform/operator-roles.js';

const resources: LocalResources = {
  region: 'eu-west-1',
  account: '000000000000',
  tables: { state: 'local-state', idempotency: 'local-idempotency', errors: 'local-errors', flags: 'local-flags' },
  busName: 'provisioning',
  apiId: 'local',
  apiUrl: 'http://127.0.0.1:3000',
};
const arns = localArns(resources);
const byName = (env: Record<string, string | undefined> = {}) => new Map(definitionsFromSource(resources, { env }).map((d) => [d.name, d]));

describe('Function: localArns', () => {
  it('addresses the local resources as the template addresses their AWS counterparts', () => {
    expect(arns.table('state')).toBe('arn:aws:dynamodb:eu-west-1:000000000000:table/local-state');
    expect(arns.index('state')).toBe('arn:aws:dynamodb:eu-west-1:000000000000:table/local-state/index/*');
    expect(arns.stream('state')).toBe('arn:aws:dynamodb:eu-west-1:000000000000:table/local-state/stream/*');
    expect(arns.bus).toBe('arn:aws:events:eu-west-1:000000000000:event-bus/provisioning');
    expect(arns.secret('slackWebhookUrl')).toBe('arn:aws:secretsmanager:eu-west-1:000000000000:secret:provisioning-slackWebhookUrl');
  });

  it('refuses a table the resources do not name', () => {
    expect(() => localArns({ ...resources, tables: { ...resources.tables, flags: '' } }).table('flags')).toThrow(/No local table for "flags"/);
  });
});

describe('Function: definitionsFromSource', () => {
  it('defines every manifest function and the webhook authorizer, named and located as in AWS', () => {
    const defs = definitionsFromSource(resources, { env: {} });
    expect(defs.map((d) => d.name).sort()).toEqual([...functions.map((f) => f.name), webhookAuthorizerFunction.name].sort());
    for (const def of defs) {
      expect(def.functionName).toBe(`ProvisioningService-${def.name}`);
      expect(def.code.kind).toBe('source');
      expect(existsSync(def.code.file)).toBe(true);
      expect(path.isAbsolute(def.code.file)).toBe(true);
    }
  });

  it('gives memory and timeout from the spec, else the defaults', () => {
    const defs = byName();
    expect(defs.get('error-log-writer')).toMatchObject({ memoryMb: 512, timeoutSeconds: 30 });
    expect(defs.get('openapi')).toMatchObject({ memoryMb: 512, timeoutSeconds: 10 });
  });

  it('names the local tables, the bus and the API, and gives secrets as local secret ARNs', () => {
    const writer = byName().get('error-log-writer')!;
    expect(writer.environment).toEqual({
      EVENT_BUS_NAME: 'provisioning',
      TABLE_ERRORS: 'local-errors',
      SLACK_WEBHOOK_SECRET_ID: arns.secret('slackWebhookUrl'),
      // Unset locally: the admin page is the local API's, as it is the stage's in AWS.
      ADMIN_BASE_URL: 'http://127.0.0.1:3000',
      POWERTOOLS_SERVICE_NAME: 'provisioning',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    expect(byName().get('subscription-reads')!.environment).toMatchObject({ HTTP_API_ID: 'local', TABLE_STATE: 'local-state' });
  });

  it('passes a setting from the runtime environment only to the functions whose spec lists it', () => {
    const defs = byName({ PLAN_CATALOG: ' {"free":["free"],"trial":[],"paid":["premium"]} ', GITLAB_URL: 'https://gitlab.example.com', SLACK_WEBHOOK_URL: 'https://hooks.slack.invalid/x' });
    expect(defs.get('subscription-created')!.environment.PLAN_CATALOG).toBe('{"free":["free"],"trial":[],"paid":["premium"]}');
    expect(defs.get('subscription-reads')!.environment).not.toHaveProperty('PLAN_CATALOG');
    expect(defs.get('daily-digest')!.environment.GITLAB_URL).toBe('https://gitlab.example.com');
    // A secret's value never sits in the environment, locally either: only its id.
    for (const def of defs.values()) expect(def.environment).not.toHaveProperty('SLACK_WEBHOOK_URL');
  });

  it('gives operator functions their routes and JWT settings, without the issuer (a listed local difference)', () => {
    const flags = byName().get('flags-api')!;
    expect(JSON.parse(flags.environment[OPERATOR_ROUTES_ENV]!)).toMatchObject({ 'GET /v1/flags': 'viewer' });
    expect(flags.environment).toMatchObject({ [OPERATOR_JWT_ENV.audience]: 'provisioning-operators' });
    expect(flags.environment).not.toHaveProperty(OPERATOR_JWT_ENV.issuer);
    expect(LOCAL_ENVIRONMENT_DIFFERENCES.map((d) => d.variable)).toEqual([OPERATOR_JWT_ENV.issuer]);
    expect(byName().get('subscription-reads')!.environment).not.toHaveProperty(OPERATOR_ROUTES_ENV);
  });

  it('configures async invocation for rule and schedule targets only, and stream mappings for stream triggers', () => {
    const defs = byName();
    expect(defs.get('error-log-writer')!.asyncInvoke).toEqual(ASYNC_INVOKE);
    expect(defs.get('daily-digest')!.asyncInvoke).toEqual(ASYNC_INVOKE);
    expect(defs.get('subscription-reads')!.asyncInvoke).toBeUndefined();
    expect(defs.get('outbox-publisher')!.streams).toEqual([{ table: 'state', batchSize: 100, ...STREAM_CONSUMER }]);
    expect(defs.get('subscription-reads')!.streams).toEqual([]);
  });

  it('derives the policy once, on demand, with exactly the grants of the stack', () => {
    const reads = byName().get('subscription-reads')!;
    const policy = reads.policy();
    expect(reads.policy()).toBe(policy);
    const state = arns.table('state');
    expect(evaluate(policy, { action: 'dynamodb:GetItem', resource: state }).allowed).toBe(true);
    // A table marked read: no write, whatever the code does.
    expect(evaluate(policy, { action: 'dynamodb:PutItem', resource: state }).allowed).toBe(false);
    expect(evaluate(policy, { action: 'dynamodb:GetItem', resource: arns.table('errors') }).allowed).toBe(false);
    // Its HTTP route may report a 5xx, and nothing else.
    const put = (source: string, detailType: string) => evaluate(policy, { action: 'events:PutEvents', resource: arns.bus, context: { 'events:source': source, 'events:detail-type': detailType } }).allowed;
    expect(put('provisioning-service', 'Provisioning Failed')).toBe(true);
    expect(put('provisioning-service', 'Namespace Subscription Changed')).toBe(false);
  });

  it('grants the webhook authorizer its secret and nothing else', () => {
    const policy = byName().get('webhook-authorizer')!.policy();
    expect(policy).toEqual([{ effect: 'Allow', actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: [arns.secret('gitlabWebhookSecret')] }]);
  });

  it('refuses a spec naming a table with no local resource, and a name used twice', () => {
    const spec: FunctionSpec = { ...functions[0]!, name: 'x', tables: { nope: 'read' } as unknown as FunctionSpec['tables'] };
    expect(() => definitionsFromSource(resources, { specs: [spec] })).toThrow(/Function "x" uses table "nope"/);
    expect(() => definitionsFromSource(resources, { specs: [functions[0]!, functions[0]!] })).toThrow(/twice/);
  });
});

describe('Function: localSecretValues', () => {
  it('reads each secret from its plain variable, ignoring settings and blanks', () => {
    expect(localSecretValues({ SLACK_WEBHOOK_URL: ' https://hooks.slack.invalid/x ', GITLAB_TOKEN: ' ', GITLAB_URL: 'https://gitlab.example.com' })).toEqual({
      slackWebhookUrl: 'https://hooks.slack.invalid/x',
    });
  });
});

describe('Module: local/definitions.ts', () => {
  it('loads no aws-cdk-lib (npm start imports it and must be up in seconds)', () => {
    const result = buildSync({
      entryPoints: [path.join(REPO_ROOT, 'local/definitions.ts')],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
    });
    const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((i) => i.path));
    expect(imports.filter((p) => /aws-cdk-lib|constructs|cdk-nag/.test(p))).toEqual([]);
    expect(Object.keys(result.metafile.inputs)).toContain('infra/function-config.ts');
  });
});
