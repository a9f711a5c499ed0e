/**
 * The whole cost of a million events over 13 months, on-demand and with provisioned capacity:
 * the requests of the write path (counted in the run), DynamoDB storage for the hot window, the
 * lake's Parquet (the bytes the run wrote, compacted) through its lifecycle tiers, the lake
 * writer's Lambda and S3 requests, and Athena for a stated query mix. Lambda durations come from
 * each function's call counts times stated AWS latencies (`stated-latencies.ts`), never from
 * DynamoDB Local's speed.
 */
import { AggregateFunction, ApiFunctions, LakeBucket, LakeCompaction, LakeFunction, Limits, ProcessFunction } from '../resources/index.js';
import type { CallCounts } from '../local/aws-calls.js';
import type { EndToEndResult } from './end-to-end.js';
import { PriceTable } from './prices.js';
import { CallOverlap, StatedCpuMsPerRecord, StatedLatencyMs } from './stated-latencies.js';

export const StorageMonths = 13;
const DAYS_PER_MONTH = 30.44;
const GB = 1024 ** 3;

/** Provisioned capacity under auto scaling tracking this utilisation: a unit consumed costs 1/0.7 of a unit-hour's share. */
export const ProvisionedTargetUtilization = 0.7;

/**
 * The stated query mix: over its 13 months each event's day is scanned this many times by
 * operator queries that read this share of the columns (Athena bills bytes of the columns read).
 */
export const AthenaQueryMix = { scansPerEvent: 20, columnShareRead: 0.3 } as const;

export type AllInCost = {
  parquetBytesPerEvent: number;
  rawFilesPerMillionEvents: number;
  dynamoBytesPerEvent: number;
  hotWindowDays: number;
  lambdaBilledMsPerMillionEvents: Record<string, number>;
  perMillionEvents: {
    requests: { dynamodb: number; sqs: number; apiGateway: number; lambda: number };
    dynamodbStorage: number;
    lakeStorage: number;
    lakeRequests: number;
    lakeLambda: number;
    athena: number;
  };
  onDemand: number;
  provisioned: number;
};

const memoryGb: Record<string, number> = {
  ingest: ApiFunctions.ingest.memoryMb / 1024,
  process: ProcessFunction.memoryMb / 1024,
  aggregate: AggregateFunction.memoryMb / 1024,
  lake: LakeFunction.memoryMb / 1024,
  compaction: LakeCompaction.memoryMb / 1024,
};

export function allInCost(run: EndToEndResult, ingestCpuMsPerEvent: number, hotWindowDays: number = Limits.eventRetentionDays): AllInCost {
  const million = 1_000_000 / run.events;
  const { calls, invocations, callsByFunction } = run.runtime;
  const lakeInvocations = invocations.lake?.invocations ?? 0;

  const billedMs: Record<string, number> = {
    ingest: callMs(callsByFunction.ingest, 'ingest') + run.events * ingestCpuMsPerEvent,
    process: callMs(callsByFunction.process, 'process') + run.storedEvents * StatedCpuMsPerRecord.process!,
    aggregate: callMs(callsByFunction.aggregate, 'aggregate') + run.storedEvents * StatedCpuMsPerRecord.aggregate!,
    lake: (run.lake.rawFiles * StatedLatencyMs['s3.PutObject']!) / CallOverlap.lake! + run.lake.rows * run.lake.encodeMsPerRow,
    // The daily compaction reads each raw file once, writes one file per project-day, one call at a time.
    compaction:
      run.lake.rawFiles * StatedLatencyMs['s3.GetObject']! +
      run.lake.compactedFiles * StatedLatencyMs['s3.PutObject']! +
      run.lake.rows * StatedCpuMsPerRecord.compaction!,
  };
  const workload = ['ingest', 'process', 'aggregate'];
  const lambdaRequests = workload.reduce((sum, name) => sum + (invocations[name]?.invocations ?? 0), 0);
  const gbSeconds = (names: string[]) => names.reduce((sum, name) => sum + (billedMs[name]! / 1000) * memoryGb[name]!, 0);

  const requests = {
    dynamodb:
      (calls.dynamoWriteUnits * PriceTable.dynamodbPerMillionWriteUnits + calls.dynamoReadUnits * PriceTable.dynamodbPerMillionReadUnits) /
      run.events,
    sqs: (calls.sqsBilledRequests * PriceTable.sqsFifoPerMillionRequests) / run.events,
    apiGateway: ((invocations.ingest?.invocations ?? 0) * PriceTable.apiGatewayRestPerMillionRequests) / run.events,
    lambda:
      (lambdaRequests * PriceTable.lambdaPerMillionRequests) / run.events + gbSeconds(workload) * PriceTable.lambdaArmPerGbSecond * million,
  };
  const provisionedDynamo =
    ((calls.dynamoWriteUnits * PriceTable.dynamodbPerWcuHour + calls.dynamoReadUnits * PriceTable.dynamodbPerRcuHour) /
      3600 /
      ProvisionedTargetUtilization) *
    million;

  const parquetBytesPerEvent = run.lake.compactedBytes / run.lake.rows;
  const lakeGb = (parquetBytesPerEvent * 1_000_000) / GB;
  // Lifecycle: Standard for the first 30 days, Standard-IA until day 90, Glacier Instant Retrieval after.
  const standardMonths = LakeBucket.infrequentAccessAfterDays / DAYS_PER_MONTH;
  const iaMonths = (LakeBucket.glacierInstantAfterDays - LakeBucket.infrequentAccessAfterDays) / DAYS_PER_MONTH;
  const glacierMonths = StorageMonths - standardMonths - iaMonths;
  const lakeStorage =
    lakeGb *
    (standardMonths * PriceTable.s3StandardPerGbMonth +
      iaMonths * PriceTable.s3StandardIaPerGbMonth +
      glacierMonths * PriceTable.s3GlacierInstantPerGbMonth);
  // Raw batch PUTs; compaction GETs each raw file and PUTs one file per project-day; two transitions per compacted file.
  const perMillion = (n: number) => n * million;
  const lakeRequests =
    (perMillion(run.lake.rawFiles + run.lake.compactedFiles) * PriceTable.s3PerThousandPuts) / 1000 +
    (perMillion(run.lake.rawFiles) * PriceTable.s3PerThousandGets) / 1000 +
    (perMillion(run.lake.compactedFiles) *
      (PriceTable.s3PerThousandTransitionsToIa + PriceTable.s3PerThousandTransitionsToGlacierInstant)) /
      1000;
  const lakeLambda =
    (perMillion(lakeInvocations) * PriceTable.lambdaPerMillionRequests) / 1_000_000 +
    gbSeconds(['lake', 'compaction']) * PriceTable.lambdaArmPerGbSecond * million;
  const athena =
    ((AthenaQueryMix.scansPerEvent * AthenaQueryMix.columnShareRead * parquetBytesPerEvent * 1_000_000) / 1024 ** 4) *
    PriceTable.athenaPerTbScanned;
  const dynamodbStorage =
    ((run.dynamoBytesPerEvent * 1_000_000) / GB) * PriceTable.dynamodbStandardPerGbMonth * (hotWindowDays / DAYS_PER_MONTH);

  const rest = requests.sqs + requests.apiGateway + requests.lambda + dynamodbStorage + lakeStorage + lakeRequests + lakeLambda + athena;
  const round = (n: number) => Number(n.toFixed(3));
  return {
    parquetBytesPerEvent: Math.round(parquetBytesPerEvent),
    rawFilesPerMillionEvents: Math.round(perMillion(run.lake.rawFiles)),
    dynamoBytesPerEvent: run.dynamoBytesPerEvent,
    hotWindowDays,
    lambdaBilledMsPerMillionEvents: Object.fromEntries(Object.entries(billedMs).map(([name, ms]) => [name, Math.round(ms * million)])),
    perMillionEvents: {
      requests: {
        dynamodb: round(requests.dynamodb),
        sqs: round(requests.sqs),
        apiGateway: round(requests.apiGateway),
        lambda: round(requests.lambda),
      },
      dynamodbStorage: round(dynamodbStorage),
      lakeStorage: round(lakeStorage),
      lakeRequests: round(lakeRequests),
      lakeLambda: round(lakeLambda),
      athena: round(athena),
    },
    onDemand: round(requests.dynamodb + rest),
    provisioned: round(provisionedDynamo + rest),
  };
}

/** A function's billed milliseconds for its AWS calls: each call at its stated latency, overlapped. */
function callMs(calls: CallCounts | undefined, functionName: string): number {
  if (!calls) return 0;
  const total = Object.entries(calls.requests).reduce((sum, [operation, n]) => sum + n * (StatedLatencyMs[operation] ?? 10), 0);
  return total / (CallOverlap[functionName] ?? 1);
}
