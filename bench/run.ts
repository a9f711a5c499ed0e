/**
 * `npm run bench [-- --quick] [--events N] [--concurrency C]`: ingest CPU, local end to end, and
 * the cost model, side by side in one run. Prints a table and writes bench-results/latest.json.
 * `--help` lists the flags.
 */
import { Command, InvalidArgumentError } from 'commander';
import { positiveInteger } from '../cli/arguments.js';
import { processOutput, runProgram, type Output } from '../cli/run-program.js';

// Set before the measurements (and with them Powertools and the AWS SDK) are imported, below.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Events go out in batches of 50 (the end-to-end workload), so a run sends whole batches. */
const BatchSize = 50;

type BenchOptions = { quick: boolean; events?: number; concurrency: number; steadySeconds?: number; out: string };

function wholeBatches(text: string): number {
  const value = positiveInteger(text);
  if (value % BatchSize !== 0) throw new InvalidArgumentError(`expected a multiple of ${BatchSize}.`);
  return value;
}

function buildBench(io: Output) {
  return new Command('bench')
    .description('Measure ingest CPU, the local pipeline end to end, and the cost per million events.')
    .option('--quick', 'a short run (2,000 events, 2 CPU rounds) for a smoke check', false)
    .option('--events <n>', `events to send, a multiple of ${BatchSize} (default: 100000, or 2000 with --quick)`, wholeBatches)
    .option('--concurrency <n>', 'requests in flight', positiveInteger, 8)
    .option(
      '--steady-seconds <n>',
      'how long the steady load at half the measured capacity lasts (default: 30, or 10 with --quick)',
      positiveInteger,
    )
    .option('--out <file>', 'where the JSON results go', 'bench-results/latest.json')
    .action((options: BenchOptions) => runBench(options, io));
}

async function runBench(options: BenchOptions, io: Output): Promise<void> {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { measureIngestCpu } = await import('./ingest-cpu.js');
  const { measureEndToEnd } = await import('./end-to-end.js');
  const { costModel } = await import('./cost-model.js');
  const { allInCost, AthenaQueryMix, ProvisionedTargetUtilization, StorageMonths } = await import('./all-in-cost.js');
  const { PriceTable } = await import('./prices.js');

  const { quick, concurrency } = options;
  const events = options.events ?? (quick ? 2_000 : 100_000);

  const cpu = measureIngestCpu(quick ? 2 : 20);
  const steadySeconds = options.steadySeconds ?? (quick ? 10 : 30);
  const e2e = await measureEndToEnd({ events, concurrency, batchSize: BatchSize, eventsPerSession: 10, eventBytes: 500, steadySeconds });
  const cost = costModel(e2e);
  const allIn = allInCost(e2e, 1000 / cpu.eventsPerSecondPerCore);

  const lowestCeiling = Math.min(...e2e.hotKeys.write.map((key) => key.projectCeilingEventsPerSecond));
  const targets = {
    dynamoWriteUnitsPerEvent: { value: cost.dynamoWriteUnitsPerEvent, target: '<= 2.5', met: cost.dynamoWriteUnitsPerEvent <= 2.5 },
    sqsRequestsPerEvent: { value: cost.sqsRequestsPerEvent, target: '< 0.1', met: cost.sqsRequestsPerEvent < 0.1 },
    ingestCpuRatioToJsonParse: { value: cpu.ratioToJsonParse, target: '<= 4', met: cpu.ratioToJsonParse <= 4 },
    allInOnDemandPerMillion: { value: allIn.onDemand, target: '<= 1.00', met: allIn.onDemand <= 1 },
    allInProvisionedPerMillion: { value: allIn.provisioned, target: '<= 0.40', met: allIn.provisioned <= 0.4 },
    singleProjectCeiling: { value: lowestCeiling, target: '>= 20000 events/s on every partition kind', met: lowestCeiling >= 20_000 },
    freshnessP99AtHalfLoadMs: { value: e2e.steady.freshnessP99Ms, target: '<= 5000 (local)', met: e2e.steady.freshnessP99Ms <= 5000 },
  };
  const result = {
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    workload: { events, concurrency, batchSize: BatchSize, eventsPerSession: 10, eventBytes: 500, steadySeconds },
    ingestCpu: cpu,
    endToEnd: { ...e2e, runtime: undefined },
    requests: e2e.runtime.calls.requests,
    writeUnitsBy: e2e.runtime.calls.writeUnitsBy,
    invocations: e2e.runtime.invocations,
    cost,
    allIn,
    lake: e2e.lake,
    prices: PriceTable,
    targets,
  };
  mkdirSync(new URL('../bench-results/', import.meta.url), { recursive: true });
  writeFileSync(options.out, JSON.stringify(result, null, 2));

  const rows: [string, string | number][] = [
    ['ingest events/s/core (parse+normalize+validate+pack)', cpu.eventsPerSecondPerCore],
    ['JSON.parse events/s (same bytes)', cpu.jsonParseEventsPerSecond],
    ['ingest CPU / JSON.parse (target <= 4)', cpu.ratioToJsonParse],
    [
      '  native / Segment (client ids) / bare array',
      `${cpu.ratioByFormat.native} / ${cpu.ratioByFormat.segment} / ${cpu.ratioByFormat.array}`,
    ],
    ['events sent (batches of 50, 10/session)', events],
    ['accepted events/s over HTTP', e2e.acceptedPerSecond],
    ['seconds until all counted', e2e.secondsUntilCounted],
    ['freshness p50 / p99 ms (accepted -> counted), backlog', `${e2e.freshnessP50Ms} / ${e2e.freshnessP99Ms}`],
    [`steady load at half capacity: events/s offered, for s`, `${e2e.steady.offeredEventsPerSecond} for ${e2e.steady.seconds}`],
    ['freshness p50 / p99 ms at that steady load (target p99 <= 5000)', `${e2e.steady.freshnessP50Ms} / ${e2e.steady.freshnessP99Ms}`],
    ['DynamoDB Local raw write ceiling, items/s', e2e.rawWriteCeilingItemsPerSecond],
    ['pipeline writes/s as share of that ceiling', e2e.shareOfRawCeiling],
    ['DynamoDB write units per event (target <= 2.5)', cost.dynamoWriteUnitsPerEvent],
    ['DynamoDB read units per event', cost.dynamoReadUnitsPerEvent],
    ['SQS requests per event (64 KB units)', cost.sqsRequestsPerEvent],
    ['Lambda invocations per event', cost.lambdaInvocationsPerEvent],
    [`$ per million events (${PriceTable.region}, prices of ${PriceTable.checkedOn})`, cost.dollarsPerMillionEvents.total],
    [
      '  of which DynamoDB / SQS / API Gateway / Lambda',
      `${cost.dollarsPerMillionEvents.dynamodb} / ${cost.dollarsPerMillionEvents.sqs} / ${cost.dollarsPerMillionEvents.apiGateway} / ${cost.dollarsPerMillionEvents.lambda}`,
    ],
    [
      'Parquet bytes per event (compacted) / raw batch files per million events',
      `${allIn.parquetBytesPerEvent} / ${allIn.rawFilesPerMillionEvents}`,
    ],
    ['DynamoDB bytes per event (item + index, with overhead)', allIn.dynamoBytesPerEvent],
    [`all-in $ per million, ${StorageMonths} months stored, on-demand (target <= 1.00)`, allIn.onDemand],
    [`all-in $ per million, provisioned at ${ProvisionedTargetUtilization * 100}% (target <= 0.40)`, allIn.provisioned],
    [
      `  requests DynamoDB / SQS / API / Lambda (stated latencies)`,
      `${allIn.perMillionEvents.requests.dynamodb} / ${allIn.perMillionEvents.requests.sqs} / ${allIn.perMillionEvents.requests.apiGateway} / ${allIn.perMillionEvents.requests.lambda}`,
    ],
    [
      `  DynamoDB storage ${allIn.hotWindowDays} d / lake storage / lake requests / lake Lambda / Athena (${AthenaQueryMix.scansPerEvent} scans of ${AthenaQueryMix.columnShareRead * 100}% of columns)`,
      `${allIn.perMillionEvents.dynamodbStorage} / ${allIn.perMillionEvents.lakeStorage} / ${allIn.perMillionEvents.lakeRequests} / ${allIn.perMillionEvents.lakeLambda} / ${allIn.perMillionEvents.athena}`,
    ],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  io.out(`Tidemark bench (${result.mode})`);
  for (const [name, value] of rows) io.out(`${name.padEnd(width)}  ${value}`);
  for (const [access, perKey] of [
    ['write', '1,000 WCU/s'],
    ['read', '3,000 RCU/s'],
  ] as const) {
    io.out(`hottest partition key of each kind, ${access} units (ceiling = ${perKey} / that key's units per event):`);
    for (const key of e2e.hotKeys[access]) {
      io.out(
        `  ${key.kind.padEnd(12)} ${String(key.unitsPerEvent).padStart(8)} units/event  peak ${String(key.peakUnitsPerSecond).padStart(7)}/s  ceiling ${String(key.projectCeilingEventsPerSecond).padStart(9)} events/s  ${key.key.slice(0, 60)}`,
      );
    }
  }
  io.out(
    `targets: ${Object.entries(targets)
      .map(([name, t]) => `${name} ${t.met ? 'met' : 'NOT met'}`)
      .join(', ')}`,
  );
  io.out(`written to ${options.out}`);
}

process.exit(await runProgram(buildBench, process.argv.slice(2), processOutput()));
