/** The ingest handler with in-memory ports: what it reads of a project per request, and that every check uses that read. */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { KeyKind } from '../../lambdas/core/keys.js';
import type { ProjectLimits, ProjectQuota } from '../../lambdas/core/quota.js';
import { createIngestHandler, type IngestHandlerDependencies } from '../../lambdas/ingest/handler.js';
import { ProjectCapDefaults, ProjectQuotaDefaults } from '../../resources/index.js';
import { memoryIngestPorts } from '../helpers/fakes.js';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';

const WRITE_KEY = 'tmw_ingest-handler-test';
const context = { awsRequestId: 'invocation', getRemainingTimeInMillis: () => 10_000 } as Context;

const batchRequest = (events: readonly unknown[], requestId: string) =>
  ({
    resource: '/v1/batch',
    path: '/v1/batch',
    httpMethod: 'POST',
    headers: { 'x-api-key': WRITE_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
    isBase64Encoded: false,
    queryStringParameters: null,
    requestContext: { requestId },
  }) as unknown as APIGatewayProxyEvent;

/** The ingest ports in memory, with the project's settings behind a port that counts its reads. */
function countingDependencies(limits: ProjectLimits) {
  const { ports, rejections } = memoryIngestPorts();
  const counted = { limitReads: 0, quotasAdmitted: [] as ProjectQuota[] };
  const deps: IngestHandlerDependencies = {
    ...ports,
    keys: { find: async (key) => (key === WRITE_KEY ? { projectId: 'p', kind: KeyKind.write } : undefined) },
    limitsOf: async () => {
      counted.limitReads++;
      return limits;
    },
    admit: async (_projectId, quota) => void counted.quotasAdmitted.push(quota),
    deviceSalt: async () => 'salt',
    corsAllowOrigins: [],
  };
  return { deps, counted, rejections };
}

describe('the ingest handler', () => {
  it("reads the project's quotas and caps once per request, and holds the quota, the name caps and the kept rejections to that read", async () => {
    const limits = { ...ProjectQuotaDefaults, ...ProjectCapDefaults, eventNames: 1, rejectionsKeptPerDay: 1 };
    const { deps, counted, rejections } = countingDependencies(limits);
    const handler = createIngestHandler(() => deps);
    // A known name, a second name past the cap of one, and two rows without an event name: every use of the settings.
    const rows = [
      { event: 'open', deviceId: 'd' },
      { event: 'second-name', deviceId: 'd' },
      { deviceId: 'no-name-1' },
      { deviceId: 'no-name-2' },
    ];
    const first = await handler(batchRequest(rows, 'req-1'), context);
    expect(first.statusCode).toBe(202);
    expect(JSON.parse(first.body)).toMatchObject({
      accepted: 1,
      rejected: [
        { index: 1, reason: 'cardinality' },
        { index: 2, reason: 'validation' },
        { index: 3, reason: 'validation' },
      ],
    });
    expect(counted.limitReads).toBe(1);
    expect(counted.quotasAdmitted).toEqual([limits]);
    expect(rejections).toHaveLength(1);

    await handler(batchRequest(rows, 'req-2'), context);
    expect(counted.limitReads).toBe(2);
  });
});
