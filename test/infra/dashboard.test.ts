/**
 * The dashboard and the alarms (infra/observability.ts) in the synthesized stack: every manifest
 * function, table and rule on the dashboard, every metric of shared/platform/metrics.ts graphed, the alarms
 * with their thresholds and missing-data treatment, all sent to one encrypted, SSL-only SNS topic.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_WINDOW, DEAD_LETTER_RUNBOOKS, SERVER_ERROR_RATE_PERCENT, STREAM_ITERATOR_AGE_THRESHOLD } from '../../infra/observability.js';
import { createProvisioningApp, STACK_NAME } from '../../infra/provisioning-stack.js';
import type { ProvisioningStack } from '../../infra/provisioning-stack.js';
import { functions, BUS_NAME } from '../../shared/service/manifest.js';
import { METRIC } from '../../shared/platform/metrics.js';
import { tableSpecs } from '../../shared/platform/tables.js';

let outdir: string;
let stack: ProvisioningStack;
let template: Template;
let widgets: Widget[];
let nagViolations: unknown[];

interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: { title?: string; markdown?: string; metrics?: unknown[][] };
}

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'dashboard-'));
  const { app, stack: built } = createProvisioningApp({ skipBundling: true, outdir });
  stack = built;
  try {
    app.synth();
  } catch {
    // cdk-nag findings fail the synthesis; the report below says which.
  }
  template = Template.fromJSON(JSON.parse(readFileSync(path.join(outdir, stack.templateFile), 'utf8')) as Record<string, unknown>);
  const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: Array<{ violations: unknown[] }> };
  nagViolations = report.pluginReports.flatMap((r) => r.violations);
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  widgets = (JSON.parse(resolveBody(dashboards[0]!.Properties.DashboardBody)) as { widgets: Widget[] }).widgets;
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** The dashboard body with each CloudFormation reference written as `{{Ref:Id}}` / `{{Id.Attr}}`. */
function resolveBody(body: unknown): string {
  if (typeof body === 'string') return body;
  const join = (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = (part as { Ref?: string }).Ref;
      if (ref) return `{{Ref:${ref}}}`;
      const [id, attr] = (part as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
      return `{{${id}.${attr}}}`;
    })
    .join(join[0]);
}

const idOf = (construct: IConstruct): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const graph = (title: string): unknown[][] => {
  const found = widgets.find((w) => w.type === 'metric' && w.properties.title === title);
  if (!found) throw new Error(`no graph titled "${title}": ${widgets.map((w) => w.properties.title).join(', ')}`);
  return found.properties.metrics ?? [];
};
/** The metrics of a graph as `namespace/name dimension=value…` lines (expressions as their text). */
const lines = (title: string): string[] =>
  graph(title).map((m) => {
    const [first] = m;
    if (typeof first === 'object' && first && 'expression' in first) return String((first as { expression: string }).expression);
    const parts = m.filter((p) => typeof p === 'string') as string[];
    const [namespace, name, ...dims] = parts;
    const pairs: string[] = [];
    for (let i = 0; i + 1 < dims.length; i += 2) pairs.push(`${dims[i]}=${dims[i + 1]}`);
    return `${namespace}/${name} ${pairs.join(' ')}`.trim();
  });
const alarmNamed = (id: string) => {
  const found = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find((a) => a.Properties.AlarmName === `${STACK_NAME}-${id}`);
  if (!found) throw new Error(`no alarm ${STACK_NAME}-${id}`);
  return found.Properties as Record<string, any>;
};
const topicRef = () => ({ Ref: idOf(stack.observability.alarmTopic) });

describe('Dashboard', () => {
  it('is one dashboard named after the stack, every widget within the 24-column grid', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: STACK_NAME });
    for (const w of widgets) expect(w.x + w.width, w.properties.title ?? 'text').toBeLessThanOrEqual(24);
  });

  it('graphs Lambda errors, duration and throttles of every manifest function and the webhook authorizer', () => {
    const names = [...functions.map((f) => f.name), 'webhook-authorizer'];
    for (const [title, metric] of [['Errors', 'Errors'], ['Duration p99 (ms)', 'Duration'], ['Throttles', 'Throttles']] as const) {
      const got = lines(title);
      expect(got, title).toHaveLength(names.length);
      for (const name of names) {
        const fn = name === 'webhook-authorizer' ? stack.webhookAuthorizerFn! : stack.functions[name]!;
        expect(got, `${title}: ${name}`).toContain(`AWS/Lambda/${metric} FunctionName={{Ref:${idOf(fn.fn)}}}`);
      }
    }
  });

  it('graphs throttles and consumed capacity of every table', () => {
    for (const spec of tableSpecs) {
      const table = `TableName={{Ref:${idOf(stack.tables[spec.key]!)}}}`;
      expect(lines('Throttled requests per table')).toEqual(expect.arrayContaining([`AWS/DynamoDB/ReadThrottleEvents ${table}`, `AWS/DynamoDB/WriteThrottleEvents ${table}`]));
      expect(lines('Consumed capacity per table')).toEqual(
        expect.arrayContaining([`AWS/DynamoDB/ConsumedReadCapacityUnits ${table}`, `AWS/DynamoDB/ConsumedWriteCapacityUnits ${table}`]),
      );
    }
  });

  it('graphs failed invocations of every EventBridge rule, custom-bus rules with the bus name', () => {
    const rules = template.findResources('AWS::Events::Rule');
    const got = lines('EventBridge failed invocations per rule');
    expect(got).toHaveLength(Object.keys(rules).length);
    for (const [id, rule] of Object.entries(rules)) {
      const ruleName = `RuleName={{Ref:${id}}}`;
      expect(got).toContain(rule.Properties.EventBusName ? `AWS/Events/FailedInvocations EventBusName=${BUS_NAME} ${ruleName}` : `AWS/Events/FailedInvocations ${ruleName}`);
    }
  });

  it('graphs API requests, 4xx, 5xx and latency', () => {
    const api = `ApiId={{Ref:${idOf(stack.httpApi)}}}`;
    expect(lines('API requests, 4xx and 5xx')).toEqual([`AWS/ApiGateway/Count ${api}`, `AWS/ApiGateway/4xx ${api}`, `AWS/ApiGateway/5xx ${api}`]);
    expect(lines('API latency (ms)')).toEqual([`AWS/ApiGateway/Latency ${api}`, `AWS/ApiGateway/Latency ${api}`, `AWS/ApiGateway/IntegrationLatency ${api}`]);
  });

  it('graphs every metric of shared/platform/metrics.ts, split by its dimension', () => {
    const all = widgets.flatMap((w) => (w.type === 'metric' ? lines(w.properties.title!) : [])).join('\n');
    for (const name of Object.values(METRIC)) expect(all, name).toContain(name);
    expect(lines('Events applied by type')).toEqual([`SEARCH('{Provisioning,service,type} MetricName="EventsApplied"', 'Sum', 300)`]);
    expect(lines('Audit findings by code')).toEqual([`SEARCH('{Provisioning,service,code} MetricName="AuditFindings"', 'Sum', 300)`]);
    expect(lines('Reassociations by reason')).toEqual([`SEARCH('{Provisioning,service,reason} MetricName="Reassociations"', 'Sum', 300)`]);
    expect(lines('Errors logged by code')).toEqual([`SEARCH('{Provisioning,service,code} MetricName="ErrorsLogged"', 'Sum', 300)`]);
    expect(lines('Audit runs and lag')).toEqual(['Provisioning/AuditCompleted service=provisioning', 'Provisioning/AuditLagHours service=provisioning']);
  });
});

describe('Alarms', () => {
  it('alarms when no audit completed within 26 hours, counting no data as a missed audit', () => {
    expect(AUDIT_WINDOW.toHours()).toBe(26);
    expect(alarmNamed('AuditNotCompleted')).toMatchObject({
      Namespace: 'Provisioning',
      MetricName: METRIC.auditCompleted,
      Dimensions: [{ Name: 'service', Value: 'provisioning' }],
      Statistic: 'Sum',
      Period: 26 * 3600,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('alarms on the API 5xx rate', () => {
    const alarm = alarmNamed('ApiServerErrorRate');
    expect(alarm).toMatchObject({ Threshold: SERVER_ERROR_RATE_PERCENT, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 3, DatapointsToAlarm: 2, TreatMissingData: 'notBreaching' });
    const queries = alarm.Metrics as Array<{ Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Dimensions: unknown[] } } }>;
    expect(queries.find((q) => q.Expression)?.Expression).toBe('IF(requests > 0, 100 * errors / requests, 0)');
    expect(queries.find((q) => q.Id === 'errors')?.MetricStat?.Metric).toMatchObject({ MetricName: '5xx', Dimensions: [{ Name: 'ApiId', Value: { Ref: idOf(stack.httpApi) } }] });
    expect(queries.find((q) => q.Id === 'requests')?.MetricStat?.Metric.MetricName).toBe('Count');
  });

  it('alarms on any failed Slack notification', () => {
    expect(alarmNamed('SlackNotificationFailed')).toMatchObject({
      MetricName: METRIC.notificationFailed,
      Dimensions: [{ Name: 'service', Value: 'provisioning' }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on any onFailure delivery: a message in any dead-letter queue, an async failure logged, a failed rule invocation', () => {
    const queues = ['AsyncFailureQueue', 'EventTargetDlq', 'StreamFailureQueue'];
    for (const name of queues) {
      const alarm = alarmNamed(`${name}Messages`);
      expect(alarm).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS', Statistic: 'Maximum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      const queueId = Object.keys(template.findResources('AWS::SQS::Queue')).find((id) => id.startsWith(name));
      expect(alarm.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }]);
      expect(alarm.AlarmDescription, name).toBe(DEAD_LETTER_RUNBOOKS[name]);
      expect(alarm.AlarmDescription.length, name).toBeLessThanOrEqual(1024);
    }
    // The stream's runbook says where its record points and how to replay within the stream's retention.
    expect(DEAD_LETTER_RUNBOOKS.StreamFailureQueue).toMatch(/DDBStreamBatchInfo.*startSequenceNumber.*24 h.*get-shard-iterator/s);
    expect(alarmNamed('AsyncFailureDelivered')).toMatchObject({ MetricName: METRIC.asyncFailuresLogged, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const rules = alarmNamed('BusRuleFailedInvocations').Metrics as Array<{ Expression?: string; Period?: number }>;
    expect(rules).toEqual([
      expect.objectContaining({ Expression: `SELECT SUM(FailedInvocations) FROM SCHEMA("AWS/Events", EventBusName, RuleName) WHERE EventBusName = '${BUS_NAME}'`, Period: 300 }),
    ]);
  });

  it('alarms when a stream consumer falls behind its stream or cannot deliver a failure record, for every stream trigger of the manifest', () => {
    const consumers = functions.filter((f) => f.triggers.some((t) => t.kind === 'stream'));
    expect(consumers.length).toBeGreaterThan(0);
    for (const spec of consumers) {
      const pascal = spec.name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
      const dimensions = [{ Name: 'FunctionName', Value: { Ref: idOf(stack.functions[spec.name]!.fn) } }];
      expect(alarmNamed(`${pascal}IteratorAge`)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'IteratorAge',
        Dimensions: dimensions,
        Statistic: 'Maximum',
        Period: 300,
        Threshold: 300_000,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
      expect(alarmNamed(`${pascal}FailureNotDelivered`)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'DestinationDeliveryFailures',
        Dimensions: dimensions,
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      expect(lines('Stream consumers: iterator age, max (ms)')).toContain(`AWS/Lambda/IteratorAge FunctionName={{Ref:${idOf(stack.functions[spec.name]!.fn)}}}`);
    }
    expect(STREAM_ITERATOR_AGE_THRESHOLD.toMilliseconds()).toBe(300_000);
  });

  it('sends every alarm and its recovery to the alarm topic', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    const streamConsumers = functions.filter((f) => f.triggers.some((t) => t.kind === 'stream')).length;
    expect(alarms.length).toBe(8 + 2 * streamConsumers);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions, alarm.Properties.AlarmName).toEqual([topicRef()]);
      expect(alarm.Properties.OKActions, alarm.Properties.AlarmName).toEqual([topicRef()]);
      expect(String(alarm.Properties.AlarmDescription).length, alarm.Properties.AlarmName).toBeGreaterThan(40);
    }
    template.hasOutput('AlarmTopicArn', { Value: topicRef() });
  });
});

describe('Alarm topic', () => {
  it('is encrypted with a rotated key that CloudWatch may use, and refuses requests without TLS', () => {
    const keyId = idOf(stack.observability.node.findChild('AlarmTopicKey'));
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            // Only CloudWatch acting for this account's alarms.
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*']] } },
            },
          }),
        ]),
      },
    });
    const cloudWatch = (template.findResources('AWS::KMS::Key')[keyId]!.Properties.KeyPolicy.Statement as Array<{ Principal?: { Service?: string }; Condition?: unknown }>).filter(
      (st) => st.Principal?.Service === 'cloudwatch.amazonaws.com',
    );
    expect(cloudWatch.every((st) => st.Condition)).toBe(true);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topicRef()],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('leaves cdk-nag nothing to report', () => {
    expect(nagViolations).toEqual([]);
  });
});
