/**
 * What operators watch in AWS: one CloudWatch dashboard and the alarms, sent to one SNS topic.
 * Everything is derived from what the stack built from the manifest (every function, table, rule
 * and dead-letter queue) and from the metric names of shared/platform/metrics.ts, so a new function or table
 * appears on the dashboard without an edit here.
 */
import { ArnFormat, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  MathExpression,
  Metric,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { EventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { type CfnRule, Rule } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../shared/platform/metrics.js';
import type { ServiceFunction } from './service-function.js';

const FIVE_MINUTES = Duration.minutes(5);
/** The audit runs daily; two hours of slack before a missed run pages anyone. */
export const AUDIT_WINDOW = Duration.hours(26);
/** Percent of API requests answered 5xx, per five minutes, above which the alarm fires. */
export const SERVER_ERROR_RATE_PERCENT = 1;
/**
 * The age of the oldest record a stream consumer has not yet handled, above which its alarm fires.
 * A healthy outbox publishes within seconds. A poison record holds its shard while it is retried
 * (STREAM_CONSUMER_DEFAULTS): with a batch of 100, at worst 7 splits then 11 invocations of the
 * record alone, each at most the 10 s timeout, about 3 minutes before it reaches the dead-letter
 * queue. Five minutes is past that, so the alarm means the consumer is stuck or falling behind, not
 * retrying one record; and it leaves almost all of the stream's 24-hour retention to act.
 */
export const STREAM_ITERATOR_AGE_THRESHOLD = Duration.minutes(5);

/**
 * What to do about a message in each dead-letter queue of the stack (alarm descriptions, at most
 * 1024 characters): where its record points and how to replay it.
 */
export const DEAD_LETTER_RUNBOOKS: Readonly<Record<string, string>> = {
  StreamFailureQueue:
    'A stream consumer (the outbox publisher) gave up a batch after its retries or the maximum record age: those changes were not published. ' +
    'Each message is Lambda\'s invocation record with DDBStreamBatchInfo (streamArn, shardId, startSequenceNumber, endSequenceNumber, approximateArrivalOfFirstRecord), a pointer, not the records. ' +
    'Within 24 h of approximateArrivalOfFirstRecord the stream still holds them: fix the cause (the consumer\'s log group), then read them with ' +
    'aws dynamodbstreams get-shard-iterator --shard-iterator-type AT_SEQUENCE_NUMBER --sequence-number <startSequenceNumber> and get-records up to endSequenceNumber, ' +
    'and invoke the consumer with {"Records": [...]}. Later, the namespaces\' history entries in the state table are the record of those changes. Delete the message once replayed.',
  EventTargetDlq:
    'A rule could not deliver an event to its function after EventBridge\'s retries (throttling, a missing function or permission). ' +
    'Each message is the event, with EventBridge\'s ERROR_CODE and RULE_ARN attributes. Fix the cause, then redrive the queue or put the event on the bus again (aws events put-events); the handlers are idempotent by eventId.',
  AsyncFailureQueue:
    'The error-log writer failed an asynchronous invocation after its retries: a failure it could not store. ' +
    'Each message is Lambda\'s invocation record with the event as requestPayload. Fix the cause (the writer\'s log group), then put requestPayload on the bus again or POST it to /v1/errors.',
};

export interface ObservabilityProps {
  readonly httpApi: HttpApi;
  /** Every Lambda of the stack by manifest name (plus the webhook authorizer). */
  readonly functions: Readonly<Record<string, ServiceFunction>>;
  readonly tables: Readonly<Partial<Record<string, TableV2>>>;
  /** The `provisioning` bus: failed invocations of its rules are summed by bus name. */
  readonly busName: string;
  /** Dead-letter queues by name: any message in one is a failure nobody processed. */
  readonly deadLetterQueues: Readonly<Record<string, Queue | undefined>>;
}

/** A custom metric of shared/platform/metrics.ts, addressed as Powertools emits it (`service` dimension included). */
export function serviceMetric(name: string, options: { dimensions?: Record<string, string>; statistic?: string; period?: Duration; label?: string } = {}): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: SERVICE_NAME, ...options.dimensions },
    statistic: options.statistic ?? Stats.SUM,
    period: options.period ?? FIVE_MINUTES,
    // No label by default: an alarm on a labelled metric is rendered as a metric-math query.
    ...(options.label && { label: options.label }),
  });
}

/**
 * Every value of a metric split by one dimension (`type`, `code`, `reason`): a SEARCH expression,
 * so a new command type or error code shows up without a deploy. Graphs only (alarms cannot SEARCH).
 */
export function searchByDimension(name: string, dimension: string, statistic = 'Sum'): MathExpression {
  return new MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},service,${dimension}} MetricName="${name}"', '${statistic}', ${FIVE_MINUTES.toSeconds()})`,
    usingMetrics: {},
    label: '',
    period: FIVE_MINUTES,
  });
}

export class Observability extends Construct {
  readonly dashboard: Dashboard;
  readonly alarmTopic: Topic;
  readonly alarms: Readonly<Record<string, Alarm>>;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    const functions = Object.entries(props.functions).sort(([a], [b]) => a.localeCompare(b));
    const tables = Object.entries(props.tables)
      .flatMap(([name, table]) => (table ? [[name, table] as const] : []))
      .sort(([a], [b]) => a.localeCompare(b));
    const queues = Object.entries(props.deadLetterQueues).flatMap(([name, queue]) => (queue ? [[name, queue] as const] : []));
    // The functions a table's stream feeds (an event source mapping): their iterator age is watched.
    const streamConsumers = functions.filter(([, svc]) => svc.node.findAll().some((c) => c instanceof EventSourceMapping));
    const rules = functions.flatMap(([name, svc]) =>
      svc.node.findAll().flatMap((c) => (c instanceof Rule ? [{ name, rule: c, onBus: (c.node.defaultChild as CfnRule).eventBusName !== undefined }] : [])),
    );

    // Alarm notifications are encrypted with a key CloudWatch may use (the AWS managed SNS key is not).
    const key = new Key(this, 'AlarmTopicKey', {
      description: `Encrypts the ${stackName} alarm topic`,
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        // Only for this account's alarms: CloudWatch acting for another account cannot use the key.
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnLike: { 'aws:SourceArn': Stack.of(this).formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );
    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: `${stackName} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    new CfnOutput(Stack.of(this), 'AlarmTopicArn', {
      value: this.alarmTopic.topicArn,
      description: 'Subscribe the on-call channel (email, chat) to this topic: every alarm and its recovery are sent here',
    });

    const api = {
      requests: props.httpApi.metricCount({ period: FIVE_MINUTES, statistic: Stats.SUM, label: 'requests' }),
      clientErrors: props.httpApi.metricClientError({ period: FIVE_MINUTES, statistic: Stats.SUM, label: '4xx' }),
      serverErrors: props.httpApi.metricServerError({ period: FIVE_MINUTES, statistic: Stats.SUM, label: '5xx' }),
    };
    const serverErrorRate = new MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { requests: api.requests, errors: api.serverErrors },
      period: FIVE_MINUTES,
      label: '5xx rate (%)',
    });

    const alarms: Record<string, Alarm> = {};
    const alarm = (alarmId: string, description: string, options: Omit<ConstructorParameters<typeof Alarm>[2], 'alarmDescription'>) => {
      const created = new Alarm(this, alarmId, { alarmName: `${stackName}-${alarmId}`, alarmDescription: description, ...options });
      created.addAlarmAction(new SnsAction(this.alarmTopic));
      created.addOkAction(new SnsAction(this.alarmTopic));
      alarms[alarmId] = created;
      return created;
    };

    alarm('ApiServerErrorRate', `More than ${SERVER_ERROR_RATE_PERCENT}% of API requests answered 5xx in two of three 5-minute periods. Each one is in the error log (Provisioning Failed): open the admin page's error log.`, {
      metric: serverErrorRate,
      threshold: SERVER_ERROR_RATE_PERCENT,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm('AuditNotCompleted', `No reconciliation audit completed in the last ${AUDIT_WINDOW.toHours()} hours (metric ${METRIC.auditCompleted}). Run it from the admin page (Jobs) or POST /v1/jobs/reconciliation-audit/runs, and look for its failure in the error log.`, {
      metric: serviceMetric(METRIC.auditCompleted, { period: AUDIT_WINDOW }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No data at all means no audit ran: that is exactly what this alarm is for.
      treatMissingData: TreatMissingData.BREACHING,
    });
    alarm('SlackNotificationFailed', `A Slack message about a new error could not be sent (metric ${METRIC.notificationFailed}); the next digest retries it. Check the webhook secret and Slack's status.`, {
      metric: serviceMetric(METRIC.notificationFailed),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm('AsyncFailureDelivered', `A Lambda onFailure destination delivered a failed asynchronous invocation to the bus, and the error log recorded it (metric ${METRIC.asyncFailuresLogged}). Open the admin page's error log (source async).`, {
      metric: serviceMetric(METRIC.asyncFailuresLogged),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm('BusRuleFailedInvocations', `A rule on the ${props.busName} bus could not invoke its function after EventBridge's retries; the event is in the EventTargetDlq queue.`, {
      // A Metrics Insights query sums every rule of the bus (more rules than a metric-math alarm may name).
      metric: new MathExpression({
        expression: `SELECT SUM(FailedInvocations) FROM SCHEMA("AWS/Events", EventBusName, RuleName) WHERE EventBusName = '${props.busName}'`,
        usingMetrics: {},
        period: FIVE_MINUTES,
        label: 'failed invocations',
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    for (const [name, queue] of queues) {
      alarm(`${name}Messages`, DEAD_LETTER_RUNBOOKS[name] ?? `The ${name} dead-letter queue holds messages: failures nobody processed. Inspect and redrive them.`, {
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: Stats.MAXIMUM }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }
    for (const [name, svc] of streamConsumers) {
      alarm(`${pascal(name)}IteratorAge`, `The ${name} stream consumer is more than ${STREAM_ITERATOR_AGE_THRESHOLD.toMinutes()} minutes behind its table's stream (IteratorAge, maximum over 5 minutes): changes are waiting to be published. Look at its errors and log group: a batch being retried holds its shard until it is given up to the StreamFailureQueue. The stream keeps records 24 hours; past that they are lost, so act before.`, {
        metric: svc.fn.metric('IteratorAge', { period: FIVE_MINUTES, statistic: Stats.MAXIMUM }),
        threshold: STREAM_ITERATOR_AGE_THRESHOLD.toMilliseconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // No data: no records to read, nothing behind.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm(`${pascal(name)}FailureNotDelivered`, `Lambda could not send the ${name} stream consumer's failure record to the StreamFailureQueue (DestinationDeliveryFailures): a batch was given up and nothing points at it. Check the queue's policy and encryption; read the consumer's log group for the shard and sequence numbers, and replay them from the stream within 24 hours.`, {
        metric: svc.fn.metric('DestinationDeliveryFailures', { period: FIVE_MINUTES, statistic: Stats.SUM }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }
    this.alarms = alarms;

    const perFunction = (label: string, metricOf: (svc: ServiceFunction) => IMetric): IMetric[] =>
      functions.map(([name, svc]) => withLabel(metricOf(svc), `${name} ${label}`.trim()));
    const graph = (title: string, left: IMetric[], options: { width?: number; right?: IMetric[]; stacked?: boolean } = {}) =>
      new GraphWidget({ title, left, right: options.right, width: options.width ?? 8, height: 6, stacked: options.stacked, period: FIVE_MINUTES });
    const heading = (markdown: string) => new TextWidget({ markdown, width: 24, height: 2 });

    const rows: IWidget[][] = [
      [
        heading(
          `# ${stackName}\nCustom metrics: namespace \`${METRICS_NAMESPACE}\` (shared/platform/metrics.ts). Alarms go to the SNS topic in the stack output \`AlarmTopicArn\`. The admin page is at \`GET /admin\`.`,
        ),
      ],
      [
        graph('API requests, 4xx and 5xx', [api.requests, api.clientErrors, api.serverErrors]),
        graph('API latency (ms)', [
          props.httpApi.metricLatency({ period: FIVE_MINUTES, statistic: Stats.percentile(50), label: 'latency p50' }),
          props.httpApi.metricLatency({ period: FIVE_MINUTES, statistic: Stats.percentile(99), label: 'latency p99' }),
          props.httpApi.metricIntegrationLatency({ period: FIVE_MINUTES, statistic: Stats.percentile(99), label: 'integration p99' }),
        ]),
        graph('API 5xx rate (%)', [serverErrorRate]),
      ],
      [heading('## Commands\nApplied, stale, replayed (same eventId) and dry-run commands by type; force reassociations by reason.')],
      [
        graph('Events applied by type', [searchByDimension(METRIC.eventsApplied, 'type')], { width: 6, stacked: true }),
        graph('Stale events by type', [searchByDimension(METRIC.staleEvents, 'type')], { width: 6 }),
        graph('Idempotent replays by type', [searchByDimension(METRIC.idempotentReplays, 'type')], { width: 6 }),
        graph('Dry runs by type', [searchByDimension(METRIC.dryRuns, 'type')], { width: 6 }),
      ],
      [heading('## Error log and audit')],
      [
        graph('Errors logged by code', [searchByDimension(METRIC.errorsLogged, 'code')], { stacked: true }),
        graph('Audit findings by code', [searchByDimension(METRIC.auditFindings, 'code')], { stacked: true }),
        graph('Audit runs and lag', [serviceMetric(METRIC.auditCompleted, { period: Duration.hours(1), label: 'audits completed' })], {
          right: [serviceMetric(METRIC.auditLagHours, { statistic: Stats.MAXIMUM, period: Duration.hours(1), label: 'audit lag (hours)' })],
        }),
      ],
      [
        graph('Reassociations by reason', [searchByDimension(METRIC.reassociations, 'reason')], { width: 6, stacked: true }),
        graph('Notifications failed, async failures, noise dropped', [
          serviceMetric(METRIC.notificationFailed, { label: 'Slack notifications failed' }),
          serviceMetric(METRIC.asyncFailuresLogged, { label: 'async failures logged' }),
          searchByDimension(METRIC.errorLogNoiseDropped, 'code'),
        ], { width: 6 }),
        graph('Error-log occurrences by outcome', [searchByDimension(METRIC.errorLogOccurrences, 'outcome')], { width: 6, stacked: true }),
        graph(
          'Dead-letter queues: messages visible',
          queues.map(([name, queue]) => queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: Stats.MAXIMUM, label: name })),
          { width: 6 },
        ),
      ],
      [heading('## Lambda, per function of the manifest')],
      [
        graph('Errors', perFunction('', (svc) => svc.fn.metricErrors({ period: FIVE_MINUTES, statistic: Stats.SUM }))),
        graph('Duration p99 (ms)', perFunction('', (svc) => svc.fn.metricDuration({ period: FIVE_MINUTES, statistic: Stats.percentile(99) }))),
        graph('Throttles', perFunction('', (svc) => svc.fn.metricThrottles({ period: FIVE_MINUTES, statistic: Stats.SUM }))),
      ],
      [
        graph(
          'Stream consumers: iterator age, max (ms)',
          streamConsumers.map(([name, svc]) => svc.fn.metric('IteratorAge', { period: FIVE_MINUTES, statistic: Stats.MAXIMUM, label: name })),
          { width: 12 },
        ),
        graph(
          'Stream consumers: failure records not delivered',
          streamConsumers.map(([name, svc]) => svc.fn.metric('DestinationDeliveryFailures', { period: FIVE_MINUTES, statistic: Stats.SUM, label: name })),
          { width: 12 },
        ),
      ],
      [heading('## DynamoDB, per table; EventBridge, per rule')],
      [
        graph(
          'Throttled requests per table',
          tables.flatMap(([name, table]) => [
            table.metric('ReadThrottleEvents', { period: FIVE_MINUTES, statistic: Stats.SUM, label: `${name} read throttles` }),
            table.metric('WriteThrottleEvents', { period: FIVE_MINUTES, statistic: Stats.SUM, label: `${name} write throttles` }),
          ]),
        ),
        graph(
          'Consumed capacity per table',
          tables.flatMap(([name, table]) => [
            table.metricConsumedReadCapacityUnits({ period: FIVE_MINUTES, statistic: Stats.SUM, label: `${name} RCU` }),
            table.metricConsumedWriteCapacityUnits({ period: FIVE_MINUTES, statistic: Stats.SUM, label: `${name} WCU` }),
          ]),
        ),
        graph(
          'EventBridge failed invocations per rule',
          rules.map(({ name, rule, onBus }) =>
            new Metric({
              namespace: 'AWS/Events',
              metricName: 'FailedInvocations',
              // Rules on a custom bus report with its name; schedules live on the default bus.
              dimensionsMap: onBus ? { EventBusName: props.busName, RuleName: rule.ruleName } : { RuleName: rule.ruleName },
              period: FIVE_MINUTES,
              statistic: Stats.SUM,
              label: `${name} ${onBus ? 'rule' : 'schedule'}`,
            }),
          ),
        ),
      ],
    ];

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: stackName,
      defaultInterval: Duration.hours(24),
      widgets: rows,
    });
  }
}

const pascal = (name: string): string => name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());

function withLabel(metric: IMetric, label: string): IMetric {
  return metric instanceof Metric ? metric.with({ label }) : metric;
}
