/**
 * A FIFO batch with partial failures, its message groups processed side by side: messages of one
 * group (one device) in order, stopping at the first failure and reporting it and the rest of the
 * group as failures (what Powertools' SqsFifoPartialProcessor does with `skipGroupOnError`), while
 * other groups go on at the same time. Side by side, a slow message holds back only its own device:
 * with the groups in a row, ten slow messages used up the invocation and the last ones, never
 * started, spent a receive each.
 */
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';

export async function processFifoBatch(
  records: readonly SQSRecord[],
  handleRecord: (record: SQSRecord) => Promise<void>,
  onFailure: (record: SQSRecord, error: unknown) => void,
): Promise<SQSBatchResponse> {
  const groups = new Map<string, SQSRecord[]>();
  for (const record of records) {
    const group = record.attributes.MessageGroupId ?? record.messageId;
    groups.set(group, [...(groups.get(group) ?? []), record]);
  }
  const failed = new Set<string>();
  await Promise.all(
    [...groups.values()].map(async (group) => {
      for (const [i, record] of group.entries()) {
        try {
          await handleRecord(record);
        } catch (error) {
          onFailure(record, error);
          for (const rest of group.slice(i)) failed.add(rest.messageId);
          return;
        }
      }
    }),
  );
  return {
    batchItemFailures: records.filter((record) => failed.has(record.messageId)).map((record) => ({ itemIdentifier: record.messageId })),
  };
}
