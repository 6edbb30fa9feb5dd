/**
 * The error log in the synthesized stack: one rule whose `$or` pattern reaches the template
 * unchanged, the writer's failures in a queue (not back on the bus), a Lambda authorizer on the
 * GitLab webhook, secrets granted only to the functions that read them, the digests' schedules.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProvisioningApp } from '../../infra/provisioning-stack.js';
import type { ProvisioningStack } from '../../infra/provisioning-stack.js';
import { failurePattern } from '../../shared/error-log/manifest.js';

let outdir: string;
let stack: ProvisioningStack;
let template: Template;

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'error-log-stack-'));
  ({ stack } = createProvisioningApp({ skipBundling: true, outdir }));
  template = Template.fromStack(stack);
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const idOf = (construct: IConstruct): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const fnId = (name: string) => idOf(stack.functions[name]!.fn);

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}
const statementsOf = (roleId: string): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
const secretsReadBy = (name: string): string[] => {
  const secretIds = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
  const statements = statementsOf(idOf(stack.functions[name]?.role ?? stack.webhookAuthorizerFn!.role)).filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
  return secretIds.filter((id) => statements.some((s) => JSON.stringify(s.Resource).includes(`"${id}"`))).sort();
};
const secretId = (prefix: string) => Object.keys(template.findResources('AWS::SecretsManager::Secret')).find((id) => id.startsWith(prefix))!;

describe('Error log in the stack', () => {
  it('routes all four failure kinds to the writer by one rule, its $or pattern unchanged', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule')).filter((r) => JSON.stringify(r.Properties.Targets).includes(`"${fnId('error-log-writer')}"`));
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties.EventPattern).toEqual(failurePattern);
    expect(rules[0]!.Properties.EventPattern.$or).toEqual([
      { source: ['lambda'], 'detail-type': ['Lambda Function Invocation Result - Failure'] },
      { source: ['provisioning-service'], 'detail-type': ['Provisioning Failed', 'Audit Finding', 'Revenue Error Reported'] },
      { source: ['customers-portal'], 'detail-type': ['Revenue Error Reported'] },
    ]);
  });

  it("sends the writer's own failures to an SQS dead-letter queue it may write to, never to the bus", () => {
    const config = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')).find((c) => c.Properties.FunctionName.Ref === fnId('error-log-writer'));
    const queueId = config!.Properties.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0] as string;
    expect(template.findResources('AWS::SQS::Queue')[queueId]).toBeDefined();
    const writer = statementsOf(idOf(stack.functions['error-log-writer']!.role));
    expect(writer.some((s) => [s.Action].flat().includes('sqs:SendMessage') && JSON.stringify(s.Resource).includes(queueId))).toBe(true);
    expect(writer.some((s) => [s.Action].flat().includes('events:PutEvents'))).toBe(false);
  });

  it('authorizes the GitLab webhook with a Lambda request authorizer on X-Gitlab-Token', () => {
    const route = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).find((r) => r.Properties.RouteKey === 'POST /v1/webhooks/gitlab');
    expect(route!.Properties.AuthorizationType).toBe('CUSTOM');
    const authorizerId = route!.Properties.AuthorizerId.Ref as string;
    expect(template.findResources('AWS::ApiGatewayV2::Authorizer')[authorizerId]!.Properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      IdentitySource: ['$request.header.X-Gitlab-Token'],
      EnableSimpleResponses: true,
      AuthorizerPayloadFormatVersion: '2.0',
      AuthorizerResultTtlInSeconds: 300,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ProvisioningService-webhook-authorizer',
      Environment: { Variables: { GITLAB_WEBHOOK_SECRET_ID: { Ref: secretId('GitlabWebhookSecret') } } },
    });
  });

  it('keeps each secret in Secrets Manager and lets only the functions that read it read it', () => {
    expect(Object.keys(template.findResources('AWS::SecretsManager::Secret'))).toHaveLength(3);
    const [slack, token, hook] = [secretId('SlackWebhookUrl'), secretId('GitlabToken'), secretId('GitlabWebhookSecret')];
    expect(secretsReadBy('error-log-writer')).toEqual([slack]);
    expect(secretsReadBy('daily-digest')).toEqual([token, slack].sort());
    expect(secretsReadBy('weekly-digest')).toEqual([token, slack].sort());
    expect(secretsReadBy('jobs')).toEqual([]);
    expect(secretsReadBy('gitlab-webhook')).toEqual([hook]);
    expect(secretsReadBy('error-log')).toEqual([]);
    expect(secretsReadBy('subscription-created')).toEqual([]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ProvisioningService-error-log-writer',
      Environment: { Variables: { SLACK_WEBHOOK_SECRET_ID: { Ref: slack }, ADMIN_BASE_URL: { 'Fn::Join': ['', Match.arrayWith(['https://', { Ref: idOf(stack.httpApi) }])] } } },
    });
  });

  it('schedules the daily and weekly digests on the default bus', () => {
    for (const [name, cron] of [['daily-digest', 'cron(0 6 * * ? *)'], ['weekly-digest', 'cron(0 6 ? * MON *)']] as const) {
      const rule = Object.values(template.findResources('AWS::Events::Rule')).find((r) => r.Properties.ScheduleExpression === cron);
      expect(rule!.Properties.EventBusName).toBeUndefined();
      expect(JSON.stringify(rule!.Properties.Targets)).toContain(`"${fnId(name)}"`);
    }
  });

  it('indexes the errors table by status, by creation and by GitLab issue', () => {
    const table = template.findResources('AWS::DynamoDB::GlobalTable')[idOf(stack.tables.errors!)]!;
    expect(table.Properties.GlobalSecondaryIndexes.map((g: { IndexName: string }) => g.IndexName)).toEqual(['byStatus', 'byCreatedAt', 'byIssue']);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });
});
