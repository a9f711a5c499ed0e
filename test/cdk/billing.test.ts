/** `-c billing=provisioned`: every table and index on provisioned capacity, auto scaled at the stated target. */
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { TidemarkStack } from '../../lib/tidemark-stack.js';
import { ProvisionedCapacity } from '../../resources/index.js';

let template: Template;
let app: App;

beforeAll(() => {
  app = new App();
  template = Template.fromStack(new TidemarkStack(app, 'Provisioned', { billing: 'provisioned' }));
}, 120_000);

describe('provisioned billing', () => {
  it('puts every table and index on provisioned throughput', () => {
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table')).map((t) => t.Properties);
    expect(tables).toHaveLength(4);
    for (const table of tables) {
      expect(table.BillingMode).toBe('PROVISIONED');
      expect(table.ProvisionedThroughput).toBeDefined();
      for (const index of table.GlobalSecondaryIndexes ?? []) expect(index.ProvisionedThroughput).toBeDefined();
    }
  });

  it('auto scales reads and writes of each table and index at the stated target utilisation', () => {
    // 4 tables and 2 indexes, reads and writes each.
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 12);
    const policies = Object.values(template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy')).map((p) => p.Properties);
    expect(policies).toHaveLength(12);
    for (const policy of policies)
      expect(policy.TargetTrackingScalingPolicyConfiguration.TargetValue).toBe(ProvisionedCapacity.targetUtilizationPercent);
    const dimensions = Object.values(template.findResources('AWS::ApplicationAutoScaling::ScalableTarget')).map(
      (t) => t.Properties.ScalableDimension,
    );
    expect(dimensions.filter((d) => d.includes(':index:'))).toHaveLength(4);
  });

  it('stays cdk-nag clean', () => {
    const nagged = new App();
    new TidemarkStack(nagged, 'ProvisionedNag', { billing: 'provisioned' });
    Validations.of(nagged).addPlugins(new AwsSolutionsChecks(nagged));
    expect(() => nagged.synth()).not.toThrow();
  });
});
