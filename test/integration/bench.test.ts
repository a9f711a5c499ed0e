/** `npm run bench -- --quick` runs and reports every figure; its shape is checked, never its timings. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('writes a complete report in quick mode', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-bench-test-'));
  try {
    const out = join(dir, 'bench.json');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--quick', '--events', '500', '--out', out],
      {
        timeout: 230_000,
      },
    );
    expect(stdout).toContain('DynamoDB write units per event');
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.mode).toBe('quick');
    expect(report.workload).toMatchObject({ events: 500, batchSize: 50, eventsPerSession: 10 });
    for (const figure of ['eventsPerSecondPerCore', 'jsonParseEventsPerSecond', 'ratioToJsonParse'])
      expect(report.ingestCpu[figure]).toBeGreaterThan(0);
    for (const format of ['native', 'segment', 'array']) expect(report.ingestCpu.ratioByFormat[format]).toBeGreaterThan(0);
    for (const figure of ['acceptedPerSecond', 'secondsUntilCounted', 'rawWriteCeilingItemsPerSecond', 'shareOfRawCeiling'])
      expect(report.endToEnd[figure]).toBeGreaterThan(0);
    expect(report.endToEnd.freshnessP99Ms).toBeGreaterThanOrEqual(report.endToEnd.freshnessP50Ms);
    expect(report.endToEnd.steady.events).toBeGreaterThan(0);
    expect(report.endToEnd.steady.freshnessP50Ms).toBeGreaterThan(0);
    expect(report.endToEnd.steady.freshnessP99Ms).toBeGreaterThanOrEqual(report.endToEnd.steady.freshnessP50Ms);
    expect(report.endToEnd.sessions).toBe(50);
    expect(report.cost.dynamoWriteUnitsPerEvent).toBeGreaterThan(1);
    expect(report.cost.dollarsPerMillionEvents.total).toBeCloseTo(
      report.cost.dollarsPerMillionEvents.dynamodb +
        report.cost.dollarsPerMillionEvents.sqs +
        report.cost.dollarsPerMillionEvents.apiGateway +
        report.cost.dollarsPerMillionEvents.lambda,
      2,
    );
    expect(report.prices.checkedOn).toMatch(/^\d{4}-\d\d-\d\d$/);
    expect(Object.keys(report.targets).sort()).toEqual(
      [
        'allInOnDemandPerMillion',
        'allInProvisionedPerMillion',
        'dynamoWriteUnitsPerEvent',
        'freshnessP99AtHalfLoadMs',
        'ingestCpuRatioToJsonParse',
        'singleProjectCeiling',
        'sqsRequestsPerEvent',
      ].sort(),
    );
    // The lake holds every stored event once compacted, and the all-in lines add up.
    expect(report.lake.rows).toBe(500 + 50);
    expect(report.lake.compactedFiles).toBe(report.lake.days);
    expect(report.allIn.parquetBytesPerEvent).toBeGreaterThan(0);
    expect(report.allIn.dynamoBytesPerEvent).toBeGreaterThan(100);
    const parts = report.allIn.perMillionEvents;
    const shared =
      parts.requests.sqs +
      parts.requests.apiGateway +
      parts.requests.lambda +
      parts.dynamodbStorage +
      parts.lakeStorage +
      parts.lakeRequests +
      parts.lakeLambda +
      parts.athena;
    expect(report.allIn.onDemand).toBeCloseTo(parts.requests.dynamodb + shared, 2);
    expect(report.allIn.provisioned).toBeLessThan(report.allIn.onDemand);
    expect(report.requests['sqs.SendMessageBatch']).toBeGreaterThan(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
