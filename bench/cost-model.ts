/** Turns counted requests, consumed capacity and handler time into dollars per million events. */
import { ApiFunctions, AggregateFunction, ProcessFunction } from '../resources/index.js';
import type { EndToEndResult } from './end-to-end.js';
import { PriceTable } from './prices.js';

export type CostModel = {
  dynamoWriteUnitsPerEvent: number;
  dynamoReadUnitsPerEvent: number;
  sqsRequestsPerEvent: number;
  lambdaInvocationsPerEvent: number;
  apiRequestsPerEvent: number;
  dollarsPerMillionEvents: { dynamodb: number; sqs: number; apiGateway: number; lambda: number; total: number };
};

const memoryGb: Record<string, number> = {
  ingest: ApiFunctions.ingest.memoryMb / 1024,
  query: ApiFunctions.query.memoryMb / 1024,
  process: ProcessFunction.memoryMb / 1024,
  aggregate: AggregateFunction.memoryMb / 1024,
};

export function costModel(run: EndToEndResult): CostModel {
  const { calls, invocations } = run.runtime;
  const perEvent = (n: number) => n / run.events;
  // Only the ingest traffic is the workload; the benchmark's own polling of /v1/aggregates is not.
  const workload = Object.entries(invocations).filter(([name]) => name !== 'query');
  const lambdaInvocations = workload.reduce((sum, [, s]) => sum + s.invocations, 0);
  const gbSeconds = workload.reduce((sum, [name, s]) => sum + (s.totalMs / 1000) * (memoryGb[name] ?? 1), 0);
  const apiRequests = invocations.ingest?.invocations ?? 0;
  const million = 1_000_000 / run.events;
  const dollars = {
    dynamodb:
      (calls.dynamoWriteUnits * PriceTable.dynamodbPerMillionWriteUnits + calls.dynamoReadUnits * PriceTable.dynamodbPerMillionReadUnits) /
      run.events,
    sqs: (calls.sqsBilledRequests * PriceTable.sqsFifoPerMillionRequests) / run.events,
    apiGateway: (apiRequests * PriceTable.apiGatewayRestPerMillionRequests) / run.events,
    lambda: (lambdaInvocations * PriceTable.lambdaPerMillionRequests) / run.events + gbSeconds * PriceTable.lambdaArmPerGbSecond * million,
    total: 0,
  };
  dollars.total = dollars.dynamodb + dollars.sqs + dollars.apiGateway + dollars.lambda;
  const round = (n: number, digits = 3) => Number(n.toFixed(digits));
  return {
    dynamoWriteUnitsPerEvent: round(perEvent(calls.dynamoWriteUnits)),
    dynamoReadUnitsPerEvent: round(perEvent(calls.dynamoReadUnits)),
    sqsRequestsPerEvent: round(perEvent(calls.sqsBilledRequests), 4),
    lambdaInvocationsPerEvent: round(perEvent(lambdaInvocations), 4),
    apiRequestsPerEvent: round(perEvent(apiRequests), 4),
    dollarsPerMillionEvents: {
      dynamodb: round(dollars.dynamodb),
      sqs: round(dollars.sqs),
      apiGateway: round(dollars.apiGateway),
      lambda: round(dollars.lambda),
      total: round(dollars.total),
    },
  };
}
