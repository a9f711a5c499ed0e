/**
 * SQS FIFO consumer. Each record is one device's message; a failure fails only the rest of its
 * message group, other devices go on side by side (fifo-batch.ts), and SQS moves a message that
 * keeps failing to the DLQ after maxReceiveCount. Throttling is retried here while time remains
 * (core/back-pressure.ts); when too little time remains, the messages not yet started are reported
 * as failures untouched, so a slow invocation never times out with all of them in flight.
 */
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { EventsQueue, Limits, ProcessFunction, Retention } from '../../resources/index.js';
import { configFromEnv, required, type TidemarkConfig } from '../config.js';
import { createClients, type AwsClients } from '../adapters/clients.js';
import { DynamoEventStore } from '../adapters/event-store.js';
import { DynamoDeviceStates } from '../adapters/device-states.js';
import { conflictRejection, DynamoRejectionStore } from '../adapters/rejection-store.js';
import { DynamoSessionLocks } from '../adapters/session-locks.js';
import { DynamoStoredCopies } from '../adapters/stored-copies.js';
import { assertTimeLeft, withBackPressure } from '../core/back-pressure.js';
import { parseMessageBody } from '../core/packing.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { lambdaFunction } from '../middleware.js';
import { logger, metrics } from '../observability.js';
import { processFifoBatch } from './fifo-batch.js';
import { processMessage } from './process.js';
import type { ProcessDependencies } from './ports.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createProcessHandler(dependencies: () => ProcessDependencies) {
  return lambdaFunction(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const deps = dependencies();
    metrics.addMetric('MessagesReceived', MetricUnit.Count, event.Records.length);
    const clock = { remainingMs: () => context.getRemainingTimeInMillis(), sleep };
    const recordHandler = async (record: SQSRecord) => {
      try {
        await handleRecord(record);
      } catch (error) {
        logIfPoison(record, error);
        throw error;
      }
    };
    const handleRecord = async (record: SQSRecord) => {
      const message = parseMessageBody(record.body);
      const { ingestLagMs, ...outcome } = await withBackPressure(
        () =>
          processMessage(message, deps, {
            beforeWrite: () => assertTimeLeft(clock, ProcessFunction.writeTimeReserveMs),
            redelivered: Number(record.attributes.ApproximateReceiveCount) > 1,
          }),
        ProcessFunction.messageTimeReserveMs,
        clock,
      );
      logger.info('processed message', { projectId: message.projectId, messageId: record.messageId, ...outcome });
      metrics.addMetric('EventsStored', MetricUnit.Count, outcome.stored);
      metrics.addMetric('Duplicates', MetricUnit.Count, outcome.duplicates);
      metrics.addMetric('Conflicts', MetricUnit.Count, outcome.conflicts);
      metrics.addMetric('SessionsStarted', MetricUnit.Count, outcome.sessionsStarted);
      // EMF takes up to 100 values per metric; the mean per message keeps the distribution readable.
      metrics.addMetric('IngestLag', MetricUnit.Milliseconds, ingestLagMs.reduce((a, b) => a + b, 0) / Math.max(1, ingestLagMs.length));
    };
    return processFifoBatch(event.Records, recordHandler, (record, error) =>
      logger.warn('message failed; SQS delivers it again', {
        messageId: record.messageId,
        receiveCount: record.attributes.ApproximateReceiveCount,
        error: (error as Error)?.name ?? 'Error',
        reason: (error as Error)?.message,
      }),
    );
  });
}

/** A message failing its last receive goes to the DLQ next: one error line says which group and why. */
function logIfPoison(record: SQSRecord, error: unknown): void {
  const receiveCount = Number(record.attributes.ApproximateReceiveCount);
  if (receiveCount < EventsQueue.maxReceiveCount) return;
  logger.error('message failed its last receive; SQS moves it to the DLQ', {
    messageId: record.messageId,
    messageGroupId: record.attributes.MessageGroupId,
    receiveCount,
    error: error as Error,
  });
}

export function processDependencies(config: TidemarkConfig, clients: AwsClients = createClients(config)): ProcessDependencies {
  const { documents } = clients;
  const stateTable = required(config, 'stateTable');
  const locks = new DynamoSessionLocks(documents, stateTable);
  const devices = new DynamoDeviceStates(documents, stateTable);
  const rejections = new DynamoRejectionStore(documents, stateTable);
  const copies = new DynamoStoredCopies(documents, required(config, 'eventsTable'));
  return {
    events: new DynamoEventStore(documents, required(config, 'eventsTable'), config.eventRetentionDays),
    storedCopies: (projectId, eventIds) => copies.read(projectId, eventIds),
    acquireSessionLock: (projectId, deviceId, sessionId, owner) =>
      locks.acquireSessionLock(projectId, deviceId, sessionId, owner, Retention.sessionLockSeconds * 1000),
    advanceDevice: (projectId, deviceState) => devices.advanceDevice(projectId, deviceState, Retention.deviceStateSeconds * 1000),
    recordConflicts: (projectId, events) =>
      rejections.putRejections(projectId, events.map(conflictRejection), Limits.rejectionRetentionDays),
  };
}

let cached: ProcessDependencies | undefined;
export const handler = createProcessHandler(() => (cached ??= processDependencies(configFromEnv(process.env))));
