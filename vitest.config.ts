import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'sdk/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    env: {
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration files each start DynamoDB Local (a JVM); two at a time fit the 2-core machines.
    maxWorkers: 2,
  },
});
