/**
 * What ops watch: an alarm topic (with an optional e-mail subscription) and the alarms that mean
 * events are at risk: anything in the DLQ or the failed-stream-batch queue, and function errors.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export type OperationsProps = {
  readonly alarmEmail?: string;
  readonly deadLetterQueue: sqs.IQueue;
  readonly failedStreamBatches: sqs.IQueue;
  readonly functions: Record<string, lambda.IFunction>;
};

export class Operations extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      enforceSSL: true,
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
    });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    const notEmpty = (name: string, queue: sqs.IQueue, what: string) =>
      this.#alarm(name, queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }), 0, what);
    notEmpty('DeadLetterQueueNotEmpty', props.deadLetterQueue, 'Messages reached the events DLQ; inspect and redrive them.');
    notEmpty('FailedStreamBatches', props.failedStreamBatches, 'Stream batches exhausted their retries and were not counted.');
    for (const [name, fn] of Object.entries(props.functions)) {
      this.#alarm(`${name}Errors`, fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), 0, `The ${name} function is failing.`);
    }
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
