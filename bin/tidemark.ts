#!/usr/bin/env node
/**
 * The CDK app: `npm run synth`, `npx cdk deploy`. Stack props can be set through context
 * (`-c stageName=prod`); `-c console=true` deploys the console too (build it first: `npm run build:console`).
 */
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TidemarkStack } from '../lib/tidemark-stack.js';

const app = new App();
const context = (name: string) => app.node.tryGetContext(name) as string | undefined;
const number = (name: string) => (context(name) === undefined ? undefined : Number(context(name)));

new TidemarkStack(app, context('stackName') ?? 'Tidemark', {
  ...(context('stageName') ? { stageName: context('stageName')! } : {}),
  ...(context('alarmEmail') ? { alarmEmail: context('alarmEmail')! } : {}),
  ...(number('maxEventAgeDays') ? { maxEventAgeDays: number('maxEventAgeDays')! } : {}),
  ...(number('eventRetentionDays') ? { eventRetentionDays: number('eventRetentionDays')! } : {}),
  ...(number('projectRateLimitPerSecond') !== undefined ? { projectRateLimitPerSecond: number('projectRateLimitPerSecond')! } : {}),
  ...(context('billing') === 'provisioned' ? { billing: 'provisioned' as const } : {}),
  ...(context('console') === 'true' ? { consoleDistDir: fileURLToPath(new URL('../console/dist/', import.meta.url)) } : {}),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
