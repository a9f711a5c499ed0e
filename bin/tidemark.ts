#!/usr/bin/env node
/**
 * The CDK app: `npm run synth`, `npx cdk deploy`. Stack props come from context flags
 * (`-c stageName=prod`), each checked by `lib/context.ts`; `-c console=true` deploys the console
 * too (build it first: `npm run build:console`).
 */
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ContextError, settingsFromContext, type AppSettings } from '../lib/context.js';
import { TidemarkStack } from '../lib/tidemark-stack.js';

const app = new App();
let settings: AppSettings;
try {
  settings = settingsFromContext((name) => app.node.tryGetContext(name));
} catch (error) {
  if (!(error instanceof ContextError)) throw error;
  // One line naming the flag and its range, not a stack trace.
  console.error(error.message);
  process.exit(1);
}
new TidemarkStack(app, settings.stackName, {
  ...settings.props,
  ...(settings.withConsole ? { consoleDistDir: fileURLToPath(new URL('../console/dist/', import.meta.url)) } : {}),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
