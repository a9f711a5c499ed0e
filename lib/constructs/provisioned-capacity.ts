/**
 * Moves a table built on-demand (`table.ts`) to provisioned capacity with auto scaling on reads
 * and writes of the table and each of its indexes, tracking `ProvisionedCapacity`'s target
 * utilisation (DynamoDB Developer Guide, "Managing throughput capacity automatically with DynamoDB
 * auto scaling").
 */
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { ProvisionedCapacity, type TableDefinition } from '../../resources/index.js';

const throughput = { readCapacityUnits: ProvisionedCapacity.minUnits, writeCapacityUnits: ProvisionedCapacity.minUnits };

export function useProvisionedCapacity(table: dynamodb.Table, definition: TableDefinition): void {
  const resource = table.node.defaultChild as dynamodb.CfnTable;
  resource.billingMode = 'PROVISIONED';
  resource.provisionedThroughput = throughput;
  // The L2 table renders its indexes lazily, in definition order.
  for (const i of definition.globalIndexes.keys()) {
    resource.addPropertyOverride(`GlobalSecondaryIndexes.${i}.ProvisionedThroughput`, {
      ReadCapacityUnits: throughput.readCapacityUnits,
      WriteCapacityUnits: throughput.writeCapacityUnits,
    });
  }
  const targets = [
    { resourceId: `table/${table.tableName}`, name: '' },
    ...definition.globalIndexes.map((index) => ({
      resourceId: `table/${table.tableName}/index/${index.indexName}`,
      name: index.indexName,
    })),
  ];
  for (const { resourceId, name } of targets) {
    for (const [kind, dimension, metric] of [
      ['Read', 'dynamodb:table:ReadCapacityUnits', appscaling.PredefinedMetric.DYNAMODB_READ_CAPACITY_UTILIZATION],
      ['Write', 'dynamodb:table:WriteCapacityUnits', appscaling.PredefinedMetric.DYNAMODB_WRITE_CAPACITY_UTILIZATION],
    ] as const) {
      const scalableDimension = name ? dimension.replace(':table:', ':index:') : dimension;
      const target = new appscaling.ScalableTarget(table, `${name}${kind}Scaling`, {
        serviceNamespace: appscaling.ServiceNamespace.DYNAMODB,
        resourceId,
        scalableDimension,
        minCapacity: ProvisionedCapacity.minUnits,
        maxCapacity: ProvisionedCapacity.maxUnits,
      });
      target.scaleToTrackMetric('Utilization', { predefinedMetric: metric, targetValue: ProvisionedCapacity.targetUtilizationPercent });
    }
  }
}
