/**
 * What ops watch: a CloudWatch dashboard of the whole pipeline, and alarms, sent to an SNS topic
 * (with an optional e-mail subscription), for every condition that puts events at risk.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RejectionReason } from '../../lambdas/core/types.js';
import { AlarmThresholdDefaults } from '../../resources/index.js';

export type OperationsProps = {
  readonly alarmEmail?: string;
  readonly api: apigateway.RestApi;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** The on-failure queue of each stream mapping, by the consumer's name. */
  readonly failedStreamBatches: Record<string, sqs.IQueue>;
  /** The stream consumer, whose iterator age says how far counting lags behind storage. */
  readonly aggregateFunction: lambda.IFunction;
  readonly functions: Record<string, lambda.IFunction>;
  readonly tables: Record<string, dynamodb.ITable>;
  /** Alarm thresholds. */
  readonly thresholds?: Partial<AlarmThresholds>;
};

/** Alarm thresholds, by the names and units of `AlarmThresholdDefaults` (resources/alarms.ts). */
export type AlarmThresholds = { readonly [name in keyof typeof AlarmThresholdDefaults]: number };

const FIVE_MINUTES = Duration.minutes(5);
/** What a failed stream batch means, by consumer: what an operator has to redo. */
const failedBatchConsequence: Record<string, string> = {
  Aggregate: 'counted (`tidemark reconcile --fix` their days)',
  Lake: 'written to the lake (`tidemark lake backfill` the days their events happened, while DynamoDB still holds them)',
};
/** Percent of requests answered 5xx; 0 when there were none (a period without traffic is not an outage). */
export const API_5XX_RATE_EXPRESSION = 'IF(requests > 0, 100 * errors / requests, 0)';

/** A custom metric the functions publish as EMF through Powertools (namespace Tidemark, dimension service). */
const tidemarkMetric = (metricName: string, statistic = 'Sum', extra: Record<string, string> = {}) =>
  new cloudwatch.Metric({
    namespace: 'Tidemark',
    metricName,
    statistic,
    period: FIVE_MINUTES,
    dimensionsMap: { service: 'tidemark', ...extra },
  });

export class Operations extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly alarmTopicKey: kms.Key;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const thresholds = { ...AlarmThresholdDefaults, ...props.thresholds };
    // CloudWatch cannot use the AWS-managed `alias/aws/sns` key, so alarm actions on a topic
    // encrypted with it fail with KMS AccessDenied (aws-cdk issue 11121). SNS's "Enable
    // compatibility between event sources from AWS services and encrypted topics"
    // (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services)
    // asks for a customer-managed key whose policy lets the service use it; the SourceAccount and
    // SourceArn conditions keep it to this account's alarms (the confused-deputy guard).
    this.alarmTopicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the Tidemark alarm topic; CloudWatch alarms may use it to publish.',
      enableKeyRotation: true,
    });
    const account = Stack.of(this).account;
    const alarmsOfThisAccount = {
      StringEquals: { 'aws:SourceAccount': account },
      ArnLike: { 'aws:SourceArn': `arn:${Stack.of(this).partition}:cloudwatch:${Stack.of(this).region}:${account}:alarm:*` },
    };
    this.alarmTopicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseTheKey',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: alarmsOfThisAccount,
      }),
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { enforceSSL: true, masterKey: this.alarmTopicKey });
    // enforceSSL adds only a Deny; CloudWatch needs an Allow in the topic policy to publish.
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: alarmsOfThisAccount,
      }),
    );
    if (props.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    const api5xxRate = new cloudwatch.MathExpression({
      // CloudWatch "Using metric math": IF(condition, a, b) is listed as supported in alarms; MAX of an
      // array that mixes a metric with a scalar is not, and PutMetricAlarm could refuse it.
      expression: API_5XX_RATE_EXPRESSION,
      usingMetrics: {
        errors: props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
        requests: props.api.metricCount({ period: FIVE_MINUTES, statistic: 'Sum' }),
      },
      label: 'API 5xx %',
      period: FIVE_MINUTES,
    });
    const oldestAge = props.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' });
    const iteratorAge = props.aggregateFunction.metric('IteratorAge', { period: Duration.minutes(1), statistic: 'Maximum' });
    const visible = (queue: sqs.IQueue) =>
      queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' });
    const throttles = Object.entries(props.tables).flatMap(([name, table]) => [
      table.metric('WriteThrottleEvents', { period: FIVE_MINUTES, statistic: 'Sum', label: `${name} write throttles` }),
      table.metric('ReadThrottleEvents', { period: FIVE_MINUTES, statistic: 'Sum', label: `${name} read throttles` }),
    ]);

    this.#alarm(
      'DeadLetterQueueNotEmpty',
      visible(props.deadLetterQueue),
      0,
      'Messages reached the events DLQ; inspect and redrive them (tidemark dlq).',
    );
    for (const [consumer, queue] of Object.entries(props.failedStreamBatches)) {
      this.#alarm(
        `${consumer}FailedStreamBatches`,
        visible(queue),
        0,
        `Stream batches exhausted the ${consumer} function's retries: their records were not ${failedBatchConsequence[consumer] ?? 'handled'}.`,
      );
    }
    this.#alarm(
      'OldestMessageAge',
      oldestAge,
      thresholds.oldestMessageAgeSeconds,
      'Events wait too long in the queue: the processor is failing or throttled.',
    );
    this.#alarm(
      'IteratorAge',
      iteratorAge,
      thresholds.iteratorAgeMs,
      'Counting lags behind storage: the aggregate function is failing or slow.',
    );
    this.#alarm('Api5xxRate', api5xxRate, thresholds.api5xxPercent, 'The API answers 5xx to more than the threshold share of requests.');
    this.#alarm(
      'DynamoDbThrottling',
      new cloudwatch.MathExpression({
        expression: throttles.map((_, i) => `t${i}`).join(' + '),
        usingMetrics: Object.fromEntries(throttles.map((metric, i) => [`t${i}`, metric])),
        label: 'DynamoDB throttled requests',
        period: FIVE_MINUTES,
      }),
      0,
      'DynamoDB throttled requests; on-demand tables are past their burst or a partition is hot.',
    );
    this.#alarm(
      'SqsSendFailures',
      tidemarkMetric('SqsSendFailures'),
      0,
      'Ingest could not send to SQS (rows answered internal/retryable); the log line "SQS send failed" and the metric by Cause say why.',
    );
    // A quarantined stream record is left out of the counters until an operator replays it (docs/reliability.md, "Quarantine").
    this.#alarm(
      'RecordsQuarantined',
      tidemarkMetric('RecordsQuarantined'),
      0,
      'A stream record could not be counted and was quarantined; fix the cause, then `tidemark reconcile --fix` its days.',
    );
    this.#alarm(
      'LakeEventsUnplaceable',
      tidemarkMetric('LakeEventsUnplaceable'),
      0,
      'A stored event could not be written to the lake (its log line "stored event left out of the lake" names it and why); it is still in DynamoDB: fix it, then `tidemark lake backfill` its day.',
    );
    for (const [name, fn] of Object.entries(props.functions)) {
      this.#alarm(`${name}Errors`, fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), 0, `The ${name} function is failing.`);
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-pipeline`,
      defaultInterval: Duration.hours(3),
    });
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });
    const fns = Object.entries(props.functions);
    this.dashboard.addWidgets(
      graph('API requests and errors', [
        props.api.metricCount({ period: FIVE_MINUTES }),
        props.api.metricClientError({ period: FIVE_MINUTES }),
        props.api.metricServerError({ period: FIVE_MINUTES }),
      ]),
      graph('API latency', [
        props.api.metricLatency({ period: FIVE_MINUTES, statistic: 'p50' }),
        props.api.metricLatency({ period: FIVE_MINUTES, statistic: 'p99' }),
      ]),
      graph('Ingest rows', [
        tidemarkMetric('EventsAccepted'),
        ...Object.values(RejectionReason).map((reason) => tidemarkMetric('EventsRejected', 'Sum', { Reason: reason })),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Queue', [visible(props.queue)], [oldestAge]),
      graph('Dead letters', [visible(props.deadLetterQueue), ...Object.values(props.failedStreamBatches).map(visible)]),
      graph('Stream iterator age (ms)', [iteratorAge]),
    );
    this.dashboard.addWidgets(
      graph(
        'Function errors',
        fns.map(([, fn]) => fn.metricErrors({ period: FIVE_MINUTES, label: fn.node.scope?.node.id })),
      ),
      graph(
        'Function throttles',
        fns.map(([, fn]) => fn.metricThrottles({ period: FIVE_MINUTES })),
      ),
      graph(
        'Function duration p99',
        fns.map(([, fn]) => fn.metricDuration({ period: FIVE_MINUTES, statistic: 'p99' })),
      ),
    );
    this.dashboard.addWidgets(
      graph('DynamoDB throttles', throttles),
      graph(
        'DynamoDB consumed capacity',
        Object.entries(props.tables).flatMap(([name, table]) => [
          table.metricConsumedWriteCapacityUnits({ period: FIVE_MINUTES, label: `${name} WCU` }),
          table.metricConsumedReadCapacityUnits({ period: FIVE_MINUTES, label: `${name} RCU` }),
        ]),
      ),
      graph('Pipeline', [
        tidemarkMetric('EventsStored'),
        tidemarkMetric('Duplicates'),
        tidemarkMetric('SessionsStarted'),
        tidemarkMetric('EventsCounted'),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Ingest lag and freshness (ms)',
        [tidemarkMetric('IngestLag', 'p50'), tidemarkMetric('IngestLag', 'p99')],
        [tidemarkMetric('Freshness', 'p50'), tidemarkMetric('Freshness', 'p99')],
      ),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 16, height: 6 }),
    );
  }

  /** The console URL of the dashboard. */
  get dashboardUrl(): string {
    const region = Stack.of(this).region;
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${this.dashboard.dashboardName}`;
  }

  #alarm(id: string, metric: cloudwatch.IMetric, threshold: number, description: string): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
    return alarm;
  }
}
